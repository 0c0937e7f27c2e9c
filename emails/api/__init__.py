"""REST API of e-mails (as part of incidents)."""
