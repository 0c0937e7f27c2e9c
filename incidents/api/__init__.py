"""REST API of incidents: list/detail, e-mails, status change, types, statuses, live queue."""
