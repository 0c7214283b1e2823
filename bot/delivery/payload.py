"""What an organization receives about a case: first a notice, the details only once it acknowledged.

Every organization a case is offered to (an escalation chain may hold several) gets the notice:
that a case waits, its province, whether someone is in danger, the portal link. Only the one that
acknowledges it gets the details the worker agreed to share: in the portal, by its signed
webhook, or by e-mail when it gave an OpenPGP key (bot.delivery.pgp). Never in either: the
worker's number (even when shared, it is shown only in the portal to the assigned organization),
the case code, or any key linking the report to a conversation.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the cases hand the referral, report and organization in: delivery sits below
    from bot.cases.models import Referral, Report
    from bot.directory.ngo import Ngo

VERSION = 1


def referral_payload(
    read: Callable[[str], str | None],
    referral: Referral,
    report: Report,
    ngo: Ngo,
    media_count: int = 0,
    portal_url: str | None = None,
) -> dict[str, Any]:
    """The JSON a webhook receives; the same ``delivery_id`` on every retry (store it once).
    ``read`` opens one of the report's encrypted columns by name."""
    details = json.loads(read("details_enc") or "{}")
    case = {
        "kind": report.kind,
        "filed_at": report.created_at.isoformat(),
        "language": report.language,
        "channel": report.channel,
        "province": report.province,
        "town": read("town_enc"),
        "sector": report.sector,
        "abuse_types": list(report.abuse_types or []),
        "employer": read("employer_enc"),
        "danger_now": report.danger,
        "consent_tip_line": report.consent_tip_line,
        "contact": report.contact_pref,
        "evidence_items": media_count,
        **{key: details[key] for key in sorted(details)},
    }
    return {
        "type": "puente.referral",
        "version": VERSION,
        "delivery_id": f"referral-{referral.id}",
        "referral_id": referral.id,
        "case_id": report.id,
        "organization": ngo.id,
        "rank": referral.rank,
        "fallback": referral.fallback,
        "contact_request": referral.contact_request,
        "reasons": list(referral.reasons or []),
        "case": case,
        "portal_url": portal_url,
    }


def notice_payload(
    referral: Referral, report: Report, ngo: Ngo, portal_url: str | None = None
) -> dict[str, Any]:
    """What every organization offered the case receives before acknowledging it."""
    return {
        "type": "puente.referral.notice",
        "version": VERSION,
        "delivery_id": f"referral-{referral.id}",
        "referral_id": referral.id,
        "organization": ngo.id,
        "rank": referral.rank,
        "contact_request": referral.contact_request,
        "case": {"kind": report.kind, "province": report.province, "danger_now": report.danger},
        "portal_url": portal_url,
    }


def details_delivery_id(payload: dict[str, Any]) -> dict[str, Any]:
    """The details' own delivery id (a receiver stores each once, apart from the notice)."""
    return payload | {"delivery_id": f"{payload['delivery_id']}-details"}


def webhook_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes signed and sent (compact, sorted keys: stable across retries)."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


_LABELS = (
    ("kind", "Kind"), ("filed_at", "Filed"), ("province", "Province"), ("town", "Town"),
    ("sector", "Sector"), ("abuse_types", "What happened"), ("employer", "Employer or recruiter"),
    ("since", "Since"), ("workers", "Workers affected"), ("danger_now", "Someone in danger now"),
    ("language", "Worker's language"), ("channel", "Channel"), ("contact", "How to reach the worker"),
    ("evidence_items", "Evidence items"), ("consent_tip_line", "Also agreed to the federal tip line"),
)  # fmt: skip
_CONTACT = {
    "anonymous": "anonymously, through Puente (reply in the portal)",
    "share_number": "the worker shared their number: see it in the portal",
}


def notice_email_parts(payload: dict[str, Any], ngo: Ngo) -> tuple[str, str, str]:
    """Subject, text and HTML of the notice e-mail: a case waits; the details are in the portal."""
    case = payload["case"]
    what = "request to talk to an organization" if payload["contact_request"] else "new case"
    subject = f"[Puente] {what.capitalize()} #{payload['referral_id']} ({case.get('province') or 'province not given'})"
    urgent = " Someone may be in danger now." if case.get("danger_now") else ""
    link = payload.get("portal_url") or "the Puente portal"
    text = (
        f"{ngo.name}: {what} from Puente, referral #{payload['referral_id']}.{urgent}\n\n"
        f"Please acknowledge it in the Puente portal soon (unacknowledged cases go to another "
        f"organization); its details are shown there once you have.\n{link}\n"
    )
    body = "".join(f"<p>{html.escape(line)}</p>" for line in text.strip().split("\n") if line)
    return subject, text, f"<!doctype html><html><body>{body}</body></html>"


def email_parts(payload: dict[str, Any], ngo: Ngo) -> tuple[str, str, str]:
    """Subject, text and HTML of the details e-mail to the organization's staff (English)."""
    case = payload["case"]
    what = "request to talk to an organization" if payload["contact_request"] else "new case"
    subject = f"[Puente] {what.capitalize()} #{payload['referral_id']} ({case.get('province') or 'province not given'})"
    rows = _rows(case)
    reasons = "; ".join(payload.get("reasons") or []) or "-"
    link = payload.get("portal_url")
    intro = f"{ngo.name}: {what} from Puente, referral #{payload['referral_id']}."
    ask = "Please acknowledge it in the Puente portal soon: unacknowledged cases go to another organization."
    text = "\n".join(
        [
            intro,
            "",
            *(f"{label}: {value}" for label, value in rows),
            "",
            f"Why your organization: {reasons}",
            "",
            ask,
            link or "",
        ]
    )
    cells = "".join(
        f"<tr><th align=left>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>"
        for label, value in rows
    )
    link_html = f'<p><a href="{html.escape(link)}">{html.escape(link)}</a></p>' if link else ""
    body = (
        f"<p>{html.escape(intro)}</p><table>{cells}</table>"
        f"<p>Why your organization: {html.escape(reasons)}</p><p>{html.escape(ask)}</p>{link_html}"
    )
    return subject, text, f"<!doctype html><html><body>{body}</body></html>"


def _rows(case: dict[str, Any]) -> list[tuple[str, str]]:
    labels = dict(_LABELS)
    keys = [key for key, _ in _LABELS] + [key for key in case if key not in labels]
    rows = []
    for key in keys:
        value = case.get(key)
        if value in (None, "", []):
            continue
        if key == "contact":
            value = _CONTACT.get(value, value)
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        rows.append((labels.get(key, key.replace("_", " ").capitalize()), str(value)))
    return rows


def staff_sms(payload: dict[str, Any]) -> str:
    """The staff phone's notice: that a case waits, where to read it; no details by SMS."""
    case = payload["case"]
    link = payload.get("portal_url") or "the Puente portal"
    return (
        f"Puente: new referral #{payload['referral_id']} ({case.get('province') or '-'}). "
        f"Please acknowledge it in {link}."
    )
