"""Statements read fast: ORM querysets compiled once per database (``compiled``) and run as they
are or prepared once per PostgreSQL connection (``execute``)."""

from dispatch.statements.compiled import NO_ID, CompiledQuery, Many, Splice, ordered_rows
from dispatch.statements.execute import Converters, converted, fetch_all, statement_name

__all__ = [
    "NO_ID",
    "CompiledQuery",
    "Converters",
    "Many",
    "Splice",
    "converted",
    "fetch_all",
    "ordered_rows",
    "statement_name",
]
