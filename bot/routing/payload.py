"""What an organization receives about a case: the details the worker agreed to share, no more.

One payload feeds every channel: the signed webhook's JSON body, the e-mail (text and HTML) and
the staff SMS (which says only that a case is waiting). Never in it: the worker's number (even
when shared, it is shown only in the portal to the assigned organization), the case code, or any
key linking the report to a conversation.
"""

from __future__ import annotations

import html
import json
from typing import Any

from bot.privacy import Vault
from bot.reports.models import Report
from bot.routing.models import Referral
from bot.routing.ngo import Ngo

VERSION = 1


def referral_payload(vault: Vault, referral: Referral, report: Report, ngo: Ngo,
                     media_count: int = 0, portal_url: str | None = None) -> dict[str, Any]:
    """The JSON a webhook receives; the same ``delivery_id`` on every retry (store it once)."""
    details = json.loads(vault.decrypt(report.details_enc)) if report.details_enc else {}
    case = {
        "kind": report.kind,
        "filed_at": report.created_at.isoformat(),
        "language": report.language,
        "channel": report.channel,
        "province": report.province,
        "town": vault.decrypt_optional(report.town_enc),
        "sector": report.sector,
        "abuse_types": list(report.abuse_types or []),
        "employer": vault.decrypt_optional(report.employer_enc),
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


def email_parts(payload: dict[str, Any], ngo: Ngo) -> tuple[str, str, str]:
    """Subject, text and HTML of the referral e-mail to the organization's staff (English)."""
    case = payload["case"]
    what = "request to talk to an organization" if payload["contact_request"] else "new case"
    subject = f"[Puente] {what.capitalize()} #{payload['referral_id']} ({case.get('province') or 'province not given'})"
    rows = _rows(case)
    reasons = "; ".join(payload.get("reasons") or []) or "-"
    link = payload.get("portal_url")
    intro = f"{ngo.name}: {what} from Puente, referral #{payload['referral_id']}."
    ask = "Please acknowledge it in the Puente portal soon: unacknowledged cases go to another organization."
    text = "\n".join([intro, "", *(f"{label}: {value}" for label, value in rows), "",
                      f"Why your organization: {reasons}", "", ask, link or ""])
    cells = "".join(f"<tr><th align=left>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>"
                    for label, value in rows)
    link_html = f'<p><a href="{html.escape(link)}">{html.escape(link)}</a></p>' if link else ""
    body = (f"<p>{html.escape(intro)}</p><table>{cells}</table>"
            f"<p>Why your organization: {html.escape(reasons)}</p><p>{html.escape(ask)}</p>{link_html}")
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
    types = ", ".join(case.get("abuse_types") or []) or "not given"
    link = payload.get("portal_url") or "the Puente portal"
    return (f"Puente: new referral #{payload['referral_id']} ({case.get('province') or '-'}; {types}). "
            f"Please acknowledge it in {link}.")
