"""Rounds of competing implementations run alternately, best CPU figure of each printed.

Alternating (A, B, A, B, …) makes a change of load on the shared machine hit each alike; CPU
time (``process_time``) is what each round reports. Standard library only: the benchmarks that
use it need no Django set-up of their own.
"""

from __future__ import annotations

from collections.abc import Callable


def print_best_alternately(candidates: dict[str, Callable[[], float]], rounds: int) -> None:
    """Run each candidate once a round, in order, for ``rounds`` rounds; print for each its best
    figure and every round's (each call returns CPU ms a message)."""
    figures: dict[str, list[float]] = {label: [] for label in candidates}
    for _ in range(rounds):
        for label, run in candidates.items():
            figures[label].append(run())
    for label, measured in figures.items():
        listed = ", ".join(f"{ms:.3f}" for ms in measured)
        print(f"{label}: best {min(measured):.3f} ms CPU/message (rounds {listed})")
