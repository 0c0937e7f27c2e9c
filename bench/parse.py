"""Benchmark: CPU time of ``parse_email`` per desk-mail message, fast path against the stdlib's.

The same generated messages (``bench/desk_mail.py``) are parsed in rounds, the stdlib path
(``parse_email(raw, fast=False)``) and the fast path alternately; CPU time (``process_time``,
robust to other load on the machine), best round of each:

    .venv/bin/python bench/parse.py                  # 2,000 messages, 5 rounds
    .venv/bin/python bench/parse.py --messages 500 --rounds 3 --crlf
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.alternate import print_best_alternately
from bench.desk_mail import generate
from emails.parsing import fast_mime, parse_email


def cpu_ms_per_message(raws: list[bytes], *, fast: bool) -> float:
    started = time.process_time()
    for raw in raws:
        parse_email(raw, fast=fast)
    return (time.process_time() - started) / len(raws) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--crlf", action="store_true", help="CRLF line ends, as IMAP sends")
    args = parser.parse_args()
    raws = list(generate(args.messages, seed=args.seed))
    if args.crlf:
        raws = [raw.replace(b"\n", b"\r\n") for raw in raws]
    taken = sum(fast_mime.parse(raw) is not None for raw in raws)
    size = sum(map(len, raws)) / len(raws) / 1024
    print(f"{len(raws)} messages, {size:.1f} KB mean; the fast path takes {taken}")
    print_best_alternately(
        {
            "stdlib path": lambda: cpu_ms_per_message(raws, fast=False),
            "fast path": lambda: cpu_ms_per_message(raws, fast=True),
        },
        args.rounds,
    )


if __name__ == "__main__":
    main()
