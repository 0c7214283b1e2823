"""The portal's words: every message id the templates and code use exists in English and French,
with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from bot.text import catalogs as i18n

ROOT = Path(__file__).resolve().parents[2]
PORTAL = ROOT / "bot" / "portal"
_LITERAL = re.compile(r"""\b_\(\s*["']([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)["']""")
_RAISED = re.compile(
    r"""(?:AccountError|WeakPassword|RelayError|error_page|flash\(_)\(\s*["']([a-z][a-z0-9_.]+)["']"""
)


def _catalogs() -> i18n.Catalogs:
    return i18n.load_catalogs(domain="portal", languages=("en", "fr"))


def _used() -> set[str]:
    found: set[str] = set()
    for path in [
        *PORTAL.rglob("*.html"),
        *PORTAL.rglob("*.py"),
        ROOT / "bot" / "cases" / "relay.py",
    ]:
        source = path.read_text(encoding="utf-8")
        found |= set(_LITERAL.findall(source)) | set(_RAISED.findall(source))
        found |= set(
            re.findall(
                r'"((?:thread\.blocked|login\.error|case\.done|case\.error|account\.error|'
                r'password|email\.[a-z_]+)\.[a-z_]+)"',
                source,
            )
        )
    return {m for m in found if not m.startswith(("portal.", "bot."))}


def test_every_portal_message_used_is_translated_in_english_and_french():
    catalogs, used = _catalogs(), _used()
    assert len(used) > 150
    missing = {lang: sorted(m for m in used if not catalogs.text(lang, m)) for lang in ("en", "fr")}
    assert missing == {"en": [], "fr": []}


def test_the_labels_built_at_run_time_exist_in_both_languages():
    from bot.cases.draft import ABUSE_TYPES, SECTORS
    from bot.cases.models import OUTCOMES, ReportStatus
    from bot.directory.vocabulary import SERVICES
    from bot.portal.cases import AGES, BUCKETS
    from vocab import PROVINCES

    catalogs = _catalogs()
    needed = (
        [f"bucket.{b}" for b in BUCKETS]
        + [f"age.{a}" for a in AGES]
        + [f"abuse.{t}" for t in ABUSE_TYPES]
        + [f"sector.{s}" for s in SECTORS]
        + [f"outcome.{o}" for o in OUTCOMES]
        + [f"report_status.{s}" for s in ReportStatus]
        + [f"province.{p}" for p in PROVINCES]
        + [f"service.{s}" for s in SERVICES]
        + [
            f"email.{k}.{part}"
            for k in ("new_referral", "worker_reply")
            for part in ("subject", "body")
        ]
    )
    missing = [m for m in needed for lang in ("en", "fr") if not catalogs.text(lang, m)]
    assert missing == []


def test_placeholders_are_the_same_in_english_and_french():
    catalogs = _catalogs()
    differ = [
        m
        for m in catalogs.messages["en"]
        if i18n.placeholders(catalogs.text("en", m) or "")
        != i18n.placeholders(catalogs.text("fr", m) or "")
    ]
    assert differ == []


def test_every_english_portal_message_has_its_french_text():
    """The indicators (bot/analytics) build their message ids at run time: none may be English-only."""
    catalogs = _catalogs()
    assert sum(1 for m in catalogs.messages["en"] if m.startswith("analytics.")) > 100
    assert sorted(m for m in catalogs.messages["en"] if not catalogs.text("fr", m)) == []


def test_every_flow_the_indicators_count_has_a_name_in_english_and_french():
    """The flows table and "where workers stopped" name flows, not their ids (topics by their topic)."""
    from bot.analytics import labels
    from flows.loader import DEFAULT_DIRECTORY, load_flows

    counted = [f.id for f in load_flows(DEFAULT_DIRECTORY).values() if f.analytics]
    names = {
        lang: {code: labels.Words(lang, strict=True).flow(code) for code in counted}
        for lang in ("en", "fr")
    }
    assert [code for code in counted if names["en"][code] == code] == []
    assert names["en"]["report"] == "Report" and names["fr"]["report"] == "Signalement"
    assert names["fr"]["topic.wages"] == labels.Words("fr").topic("wages")
