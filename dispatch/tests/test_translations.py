"""Every Russian catalogue is complete and its compiled .mo is the one msgfmt makes from the .po;
every string marked for translation in the code has a Russian text.

Several people edit the same catalogues; a merge that keeps one side's binary .mo silently drops
the other side's strings from the UI (English text in a Russian console). A string added to the
code but never to a catalogue does the same. This catches both.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(
    path for path in ROOT.glob("**/locale/ru/LC_MESSAGES/django.po") if ".venv" not in path.parts
)

pytestmark = pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext is not installed")


def test_there_are_catalogues():
    assert len(CATALOGUES) >= 8


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT).parts[0:-4]))
def test_catalogue_is_complete_and_compiled(po: Path, tmp_path: Path):
    compiled = tmp_path / "django.mo"
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", str(compiled), str(po)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr
    assert compiled.read_bytes() == po.with_suffix(".mo").read_bytes(), (
        f"{po.with_suffix('.mo')} is stale: run manage.py compilemessages"
    )


# Strings that read the same in Russian.
SAME_IN_RUSSIAN = {"DISPATCH"}


def _russian(entry: polib.POEntry) -> str:
    """What a Russian user sees for ``entry`` (every catalogue of the project merged)."""
    with translation.override("ru"):
        if entry.msgid_plural:
            if entry.msgctxt:
                return translation.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 5)
            return translation.ngettext(entry.msgid, entry.msgid_plural, 5)
        if entry.msgctxt:
            return translation.pgettext(entry.msgctxt, entry.msgid)
        return translation.gettext(entry.msgid)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_every_string_marked_in_the_code_has_a_russian_text(tmp_path: Path):
    """makemessages on a copy of the tracked files: nothing it finds may stay in English."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
    ).stdout.split(b"\0")
    for name in filter(None, files):
        source = ROOT / os.fsdecode(name)
        if source.is_file():
            target = tmp_path / os.fsdecode(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ru", "--no-location"],
        cwd=tmp_path,
        env={**os.environ, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "dispatch.settings"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    english = set()
    for po in tmp_path.glob("**/locale/ru/LC_MESSAGES/django.po"):
        for entry in polib.pofile(str(po)):
            if entry.obsolete or entry.translated() or entry.msgid in SAME_IN_RUSSIAN:
                continue
            if _russian(entry) == (entry.msgid_plural or entry.msgid):  # in no catalogue
                english.add(f"{po.relative_to(tmp_path).parts[0]}: {entry.msgid!r}")
    assert not english, "add these to a catalogue and compilemessages:\n" + "\n".join(
        sorted(english)
    )
