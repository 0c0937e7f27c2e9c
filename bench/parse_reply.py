"""Benchmark: what the parser process's reply costs the worker — unpickling one part.

Generates PART messages of the desk's mail (``bench/desk_mail.py``), parses them as the parser
process does (``emails.parse_ahead.parse_outcomes``: tokens, attachment files written to a
temporary directory), pickles the reply as the pipe does and prints the worker's
``pickle.loads`` (its first round, memory fresh from the allocator as in the worker, and the
best of ROUNDS) and the parser process's ``pickle.dumps`` (best) in µs a message (CPU time),
and the bytes a message.

    .venv/bin/python bench/parse_reply.py
    .venv/bin/python bench/parse_reply.py --tree /work/main    # another checkout's code
"""

from __future__ import annotations

import argparse
import inspect
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path


def _rounds(run, rounds: int) -> list[float]:
    """CPU seconds of each round of ``run``."""
    spent = []
    for _ in range(rounds):
        started = time.process_time()
        run()
        spent.append(time.process_time() - started)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--tree", default=str(Path(__file__).resolve().parents[1]))
    args = parser.parse_args()
    sys.path.insert(0, args.tree)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.testing.settings")
    import django

    django.setup()
    from django.conf import settings

    from bench.desk_mail import generate
    from emails.parse_ahead import parse_outcomes

    with tempfile.TemporaryDirectory() as media:
        settings.MEDIA_ROOT = media
        raws = list(generate(args.part))
        # (before the files were written in the parser process it took the raw bytes alone)
        wants_pairs = "messages" in inspect.signature(parse_outcomes).parameters
        outcomes = parse_outcomes(
            [(raw, None) for raw in raws] if wants_pairs else raws, tokens=True
        )
        reply = pickle.dumps(("ok", outcomes), protocol=pickle.HIGHEST_PROTOCOL)
        loads = _rounds(lambda: pickle.loads(reply), args.rounds)
        dumps = min(_rounds(lambda: pickle.dumps(("ok", outcomes), 5), args.rounds))
    us = 1e6 / len(raws)
    print(
        f"{args.tree}: a part of {len(raws)}: loads {loads[0] * us:.1f} µs/msg first, "
        f"{min(loads) * us:.1f} best (worker); dumps {dumps * us:.1f} µs/msg (parser process); "
        f"{len(reply) / len(raws) / 1024:.1f} KB/msg"
    )


if __name__ == "__main__":
    main()
