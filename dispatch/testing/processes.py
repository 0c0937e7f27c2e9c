"""Process facts tests read from Linux's /proc."""

from __future__ import annotations

from pathlib import Path


def child_pids(pid: int) -> list[int]:
    """The pids of ``pid``'s children (forked by any of its threads), in ascending order; none
    once it has exited."""
    found: set[int] = set()
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found.update(int(child) for child in (task / "children").read_text().split())
    except FileNotFoundError:  # exited meanwhile
        pass
    return sorted(found)
