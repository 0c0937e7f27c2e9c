"""REST API of reference data: poles, base stations, operators, contractors."""
