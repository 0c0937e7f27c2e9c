"""Measuring helpers of ``bench/ingest.py``: CPU of a process tree, CPU by pipeline stage."""

from __future__ import annotations

import cProfile
import os
import pstats
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")

# (file name ending, function) whose cumulative time is a stage; nested stages are subtracted.
FETCH = [
    ("emails/sources/imap.py", name)
    for name in ("open_folder", "fetch", "fetch_headers", "uids_after")
]
PARSE = [("emails/parsing/message.py", "parse_email")]
TEXT = [
    ("emails/parsing/message.py", "_leaf"),
    ("emails/parsing/html.py", "html_to_text"),
    ("emails/parsing/text.py", "normalise_text"),
    ("emails/parsing/text.py", "extract_form"),
]
RECOGNITION = [("ts/recognition.py", "recognize"), ("ts/recognition.py", "recognize_many")]
RECOGNITION_QUERIES = [("ts/recognition.py", "_fetch"), ("ts/recognition.py", "_fetch_many")]
SQL = [("django/db/backends/utils.py", "execute"), ("django/db/backends/utils.py", "executemany")]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid``, its live descendants and its reaped children."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    tree, frontier = {pid}, [pid]
    while frontier:
        current = frontier.pop()
        children = [child for child, parent in parents.items() if parent == current]
        tree.update(children)
        frontier += children
    total = 0
    for member in tree:
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return total / _TICKS


def _cumulative(stats: pstats.Stats, functions: list[tuple[str, str]]) -> float:
    total = 0.0
    for (filename, _line, name), (_cc, _nc, _tt, cumulative, _callers) in stats.stats.items():
        if any(filename.endswith(path) and name == wanted for path, wanted in functions):
            total += cumulative
    return total


def stage_table(profiler: cProfile.Profile) -> dict[str, float]:
    """CPU seconds of each stage of the profiled ingest; they add up to ``total``."""
    stats = pstats.Stats(profiler)
    fetch = _cumulative(stats, FETCH)
    parse_all = _cumulative(stats, PARSE)
    text = _cumulative(stats, TEXT)
    recognition_queries = _cumulative(stats, RECOGNITION_QUERIES)
    recognition = _cumulative(stats, RECOGNITION) - recognition_queries
    total = stats.total_tt
    database = total - fetch - parse_all - recognition
    return {
        "fetch (IMAP)": fetch,
        "parse (MIME structure, headers)": parse_all - text,
        "text extraction (payload decoding, charsets, HTML to text)": text,
        "recognition (pole / base station in the text)": recognition,
        "database (threading, ORM, SQL, opening incidents)": database,
        "  of which in the database driver (SQL execution)": _cumulative(stats, SQL),
        "total": total,
    }
