#!/usr/bin/env python
"""Django's command-line utility for DISPATCH."""

import os
import sys

from dispatch.pid1 import exit_on_sigterm_as_pid1


def main() -> None:
    """Run administrative tasks."""
    exit_on_sigterm_as_pid1()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
