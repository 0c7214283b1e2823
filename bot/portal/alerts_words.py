"""Administrators' alerts and the audit log in words: what happened, about what, in the user's language.

Pure: takes rows and the portal's ``_``/``label``; the pages decide what to show.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

#: Alert kinds the landing page lists, most pressing first.
ALERT_KINDS = ("unrouted", "escalation", "notice_failed", "repeat_employer", "coverage_gap")


def alert_params(
    kind: str,
    detail: Mapping[str, Any],
    subject: Mapping[str, Any],
    ngo_names: Mapping[str, str],
    label: Callable[[str, Any], str],
) -> dict[str, Any]:
    """The placeholders of ``alert.text.<kind>``, read from the alert's detail (never a reporter)."""
    ngo: str = detail.get("ngo_id") or ""
    types = detail.get("types") or {}
    return {
        "ngo": ngo_names.get(ngo, ngo),
        "channel": label("notice_channel", detail.get("channel", "")),
        "error": detail.get("error", ""),
        "reason": label("escalation_reason", detail.get("reason", "")),
        "case": detail.get("report_id", ""),
        "tried": detail.get("tried", 0),
        "gap": "; ".join(_gap(g, label) for g in detail.get("gap") or []),
        "reporters": detail.get("reporters", 0),
        "days": detail.get("window_days", 0),
        "types": ", ".join(
            label("abuse", t) for t in (types if isinstance(types, Mapping) else [])
        ),
        "employer": subject.get("name") or "",
    }


#: What each kind of coverage gap names (bot.directory.matching: ``kind:value``).
_GAP_VALUES = {
    "province": "province",
    "capacity": "province",
    "language": "worker_language",
    "service": "service",
    "sector": "sector",
}


def _gap(gap: str, label: Callable[[str, Any], str]) -> str:
    kind, _sep, value = gap.partition(":")
    if kind not in _GAP_VALUES:
        return gap
    return f"{label('gap', kind)}: {label(_GAP_VALUES[kind], value)}"


def text_msgid(kind: str) -> str:
    """The sentence for an alert; older kinds read as a generic alert."""
    return f"alert.text.{kind}" if kind in ALERT_KINDS else "alert.text.other"


def audit_target(
    target: str | None,
    emails: Mapping[int, str],
    ngo_names: Mapping[str, str],
    _: Callable[..., str],
) -> str:
    """``referral:12`` as "Case #12", ``user:3`` as their e-mail, ``ngo:x`` as its name."""
    if not target:
        return ""
    kind, _sep, rest = target.partition(":")
    if kind == "referral":
        number, _sep, media = rest.partition(":media:")
        if number.isdigit():
            text = _("case.number", id=int(number))
            return f"{text} · {_('audit.target.evidence', n=media)}" if media.isdigit() else text
    if kind == "user" and rest.isdigit():
        return emails.get(int(rest), _("audit.target.user", id=rest))
    if kind == "ngo":
        return ngo_names.get(rest, rest)
    if kind == "alert" and rest.isdigit():
        return _("audit.target.alert", id=rest)
    if kind in ("home", "ngos", "users", "audit", "indicators"):
        return _("audit.page." + kind)
    return target
