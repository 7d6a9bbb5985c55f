"""Every UI string has its Vietnamese translation (the UI is Vietnamese first)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "motcua"
ENTRY = re.compile(
    r'^msgid "(?P<id>.*)"\n(?:".*"\n)*(?:msgid_plural .*\n(?:".*"\n)*)?'
    r'(?P<strs>(?:msgstr(?:\[\d\])? .*\n(?:".*"\n)*)+)',
    re.MULTILINE,
)


def untranslated(po_text: str) -> list[str]:
    missing = []
    for block in po_text.split("\n\n")[1:]:  # the first block is the header
        if "#, fuzzy" in block:
            missing.append(block)
            continue
        match = ENTRY.search(block + "\n")
        if match and all(
            not "".join(re.findall(r'"(.*)"', line))
            for line in re.findall(r"msgstr(?:\[\d\])? .*(?:\n\".*\")*", match.group("strs"))
        ):
            missing.append(match.group("id"))
    return missing


def test_the_committed_catalogue_is_complete() -> None:
    po = (SOURCE / "locale" / "vi" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    assert untranslated(po) == []


@pytest.mark.skipif(
    shutil.which("msgfmt") is None, reason="needs gettext (scripts/test installs it)"
)
def test_no_ui_string_is_missing_from_the_catalogue(tmp_path: Path) -> None:
    copy = tmp_path / "motcua"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        ["django-admin", "makemessages", "-l", "vi", "--ignore", "*/migrations/*", "--no-obsolete"],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    po = (copy / "locale" / "vi" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    assert untranslated(po) == [], "run makemessages and translate the new strings"
