"""bot/text/catalogs.py: catalogs from .po (or a newer .mo), fallbacks, placeholders and locale formats."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bot.conversation import dialogue
from bot.text import catalogs as i18n
from flows import Reply

ROOT = Path(__file__).resolve().parents[2]


def write_po(directory: Path, lang: str, entries: dict[str, str], domain: str = "messages") -> Path:
    path = directory / lang / "LC_MESSAGES" / f"{domain}.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(f'msgid "{k}"\nmsgstr "{v}"\n\n' for k, v in entries.items())
    path.write_text(
        f'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n"Language: {lang}\\n"\n\n{body}',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def small(tmp_path: Path) -> i18n.Catalogs:
    write_po(
        tmp_path,
        "en",
        {"a.hello": "Hello {name}", "a.only_en": "English only", "a.pay": "Pay: {wage}"},
    )
    write_po(tmp_path, "es", {"a.hello": "Hola {name}", "a.pay": "Pago: {wage}"})
    write_po(tmp_path, "tl", {"a.hello": "Kumusta {name}"})
    return i18n.load_catalogs(tmp_path)


def test_the_project_catalogs_load_from_po_without_a_compile_step():
    catalogs = i18n.load_catalogs()
    assert catalogs.languages() == ("es", "tl", "en")
    assert i18n.translator("es").gettext("common.yes") == "Sí"
    assert i18n.languages() == ("es", "tl", "en")


def test_placeholders_are_filled_in_the_worker_language(small):
    assert i18n.Translator("es", small).gettext("a.hello", name="Ana") == "Hola Ana"


def test_a_missing_translation_falls_back_to_english_and_raises_in_strict_mode(small):
    assert i18n.Translator("es", small).gettext("a.only_en") == "English only"
    with pytest.raises(i18n.TranslationError, match="a.only_en.*'es'"):
        i18n.Translator("es", small, strict=True).gettext("a.only_en")


def test_an_unknown_message_id_or_missing_parameter_is_an_error_naming_it(small):
    with pytest.raises(i18n.TranslationError, match="nope.nothing"):
        i18n.Translator("en", small).gettext("nope.nothing")
    with pytest.raises(i18n.TranslationError, match="needs parameter 'name'"):
        i18n.Translator("en", small).gettext("a.hello")


def test_an_unknown_language_gets_english():
    assert i18n.translator("fr").lang == "en"
    assert i18n.translator(None).lang == "en"


def test_money_and_dates_are_formatted_per_locale():
    assert [i18n.format_money("17.95", lang) for lang in ("es", "tl", "en")] == ["$17.95"] * 3
    assert i18n.format_money("1234.5", "en") == "$1,234.50"
    assert i18n.format_date("2026-10-01", "es") == "1 de octubre de 2026"
    assert i18n.format_date("2026-10-01", "tl") == "Oktubre 1, 2026"
    assert i18n.format_date("2026-10-01", "en") == "October 1, 2026"


def test_flow_formats_and_tagged_values_render_the_same_words():
    es = i18n.translator("es", strict=True)
    params = {
        "wage": "17.95",
        "effective_date": "2026-10-01",
        "province": "BC",
        "office_name": "X",
        "office_phone": "1",
    }
    formats = {"wage": "money", "effective_date": "date", "province": "province"}
    by_formats = es.render("topic.wages.answer", params, formats)
    tagged = es.gettext(
        "topic.wages.answer",
        **{
            **params,
            "wage": {"money": "17.95"},
            "effective_date": {"date": "2026-10-01"},
            "province": {"msgid": "province.bc"},
        },
    )
    assert by_formats == tagged
    # ... and it is the text a worker receives: the conversation composes replies this way.
    assert (
        dialogue.compose(Reply("topic.wages.answer", params, formats=formats), "es") == by_formats
    )
    assert (
        "$17.95" in by_formats
        and "1 de octubre de 2026" in by_formats
        and "Columbia Británica" in by_formats
    )


def test_province_names_are_found_whatever_the_case_of_the_code():
    assert i18n.translator("es").gettext("province.pe") == i18n.translator("es").gettext(
        "province.PE"
    )


def test_a_compiled_catalog_is_used_when_it_is_newer_than_its_source(tmp_path: Path):
    po = write_po(tmp_path, "en", {"a.hello": "from po"})
    subprocess.run(
        ["pybabel", "compile", "-d", str(tmp_path), "-l", "en"], check=True, capture_output=True
    )
    po.write_text(po.read_text().replace("from po", "edited po"))
    os.utime(po, (po.stat().st_mtime - 60,) * 2)  # the .mo is now the newer file
    assert i18n.load_catalogs(tmp_path, languages=("en",)).text("en", "a.hello") == "from po"
    os.utime(po, None)
    po.touch()
    mo = po.with_suffix(".mo")
    os.utime(mo, (po.stat().st_mtime - 60,) * 2)  # edited after compiling: the .po wins
    assert i18n.load_catalogs(tmp_path, languages=("en",)).text("en", "a.hello") == "edited po"


def test_a_missing_catalog_is_reported_with_its_language_and_domain(tmp_path: Path):
    write_po(tmp_path / "locales", "en", {"menu.main": "Menu"})
    write_po(tmp_path / "locales", "en", {"portal.login": "Sign in"}, domain="portal")
    with pytest.raises(i18n.TranslationError, match="'fr'.*portal"):
        i18n.load_catalogs(tmp_path / "locales", domain="portal", languages=("en", "fr"))
    write_po(tmp_path / "locales", "fr", {"portal.login": "Connexion"}, domain="portal")
    portal = i18n.load_catalogs(tmp_path / "locales", domain="portal", languages=("en", "fr"))
    assert i18n.Translator("fr", portal).gettext("portal.login") == "Connexion"


def test_fuzzy_entries_are_not_shown_to_workers(tmp_path: Path):
    path = tmp_path / "en" / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True)
    path.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        '#, fuzzy\nmsgid "a.x"\nmsgstr "guess"\n',
        encoding="utf-8",
    )
    assert i18n.load_catalogs(tmp_path, languages=("en",)).text("en", "a.x") is None
