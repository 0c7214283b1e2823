"""The translator's workflow works on a clean checkout: pybabel extract, update and compile."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from babel.messages.pofile import read_po

from bot.text import catalogs

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("es", "tl", "en")


def pybabel(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["pybabel", *args], cwd=ROOT, check=True, capture_output=True, text=True)


def entries(path: Path) -> dict[str, tuple[str, tuple[str, ...]]]:
    with open(path, "rb") as fh:
        return {m.id: (m.string, tuple(m.auto_comments)) for m in read_po(fh) if m.id}


def test_extract_update_and_compile_keep_every_translation_and_citation(tmp_path: Path):
    locales = tmp_path / "locales"
    shutil.copytree(ROOT / "locales", locales)
    pot = tmp_path / "messages.pot"
    pybabel("extract", "-F", "babel.cfg", "-o", str(pot), ".")
    pybabel("update", "-i", str(pot), "-d", str(locales), "--no-fuzzy-matching")
    for lang in LANGUAGES:
        before = entries(ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po")
        after = entries(locales / lang / "LC_MESSAGES" / "messages.po")
        assert after == before, (
            f"{lang}: the committed catalog is not up to date with the flows and code"
        )
    pybabel("compile", "-d", str(locales), "--statistics")
    compiled = catalogs.load_catalogs(locales)
    for lang in LANGUAGES:
        assert (locales / lang / "LC_MESSAGES" / "messages.mo").exists()
        assert compiled.messages[lang] == catalogs.load_catalogs(ROOT / "locales").messages[lang]


def test_the_template_carries_the_fact_citations_for_translators():
    template = entries(ROOT / "locales" / "messages.pot")
    comments = template["topic.documents.answer"][1]
    assert any(
        c.startswith("fact:cannot-take-passport=https://www.canada.ca/")
        and "canada.ca" in " ".join(comments)
        for c in comments
    )
