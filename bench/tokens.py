"""Benchmark: CPU time of ``message_tokens`` per desk-mail message, against the whole-text
reference tokeniser it replaced (``ts/tests/reference_recognition.py``).

The subjects and bodies of the same generated messages (``bench/desk_mail.py``, parsed by
``parse_email``) are tokenised in rounds, the reference and the current code alternately; CPU
time (``process_time``, robust to other load on the machine), best round of each:

    .venv/bin/python bench/tokens.py                  # 2,000 messages, 5 rounds
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.testing.settings")

import django

django.setup()

from bench.alternate import print_best_alternately  # noqa: E402
from bench.desk_mail import generate  # noqa: E402
from emails.parsing import parse_email  # noqa: E402
from ts.recognition import candidate_tokens  # noqa: E402
from ts.tests.reference_recognition import reference_candidate_tokens  # noqa: E402


def cpu_ms_per_message(texts: list[tuple[str, str]], tokens: Callable[[str], list[str]]) -> float:
    started = time.process_time()
    for subject, body in texts:
        tokens(subject)
        tokens(body)
    return (time.process_time() - started) / len(texts) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    parsed = [parse_email(raw) for raw in generate(args.messages, seed=args.seed)]
    texts = [(message.subject or "", message.body_text or "") for message in parsed]
    size = sum(len(body) for _subject, body in texts) / len(texts)
    print(f"{len(texts)} messages, bodies {size:,.0f} characters mean")
    print_best_alternately(
        {
            "reference": lambda: cpu_ms_per_message(texts, reference_candidate_tokens),
            "current": lambda: cpu_ms_per_message(texts, candidate_tokens),
        },
        args.rounds,
    )


if __name__ == "__main__":
    main()
