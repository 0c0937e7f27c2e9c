"""Shared pieces of the REST API: error schema, pagination, throttling, role permissions."""
