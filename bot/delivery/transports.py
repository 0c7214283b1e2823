"""How a notice reaches an organization: its signed webhook, e-mail (in clear, or under its
OpenPGP key), or an SMS to a staff phone queued in the outbox.

Each takes the organization's contacts and the payload (bot.delivery.payload) and raises
``DeliveryFailed`` when the attempt did not go out; which notice to send, when, and what a failure
means for the case is the cases' business (bot.cases.notices).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, cast

import requests
from sqlalchemy.orm import Session

from bot.delivery import pgp, signing
from bot.delivery.errors import DeliveryFailed
from bot.delivery.mail import MailError, send_mail
from bot.delivery.payload import email_parts, notice_email_parts, webhook_body
from bot.delivery.payload import staff_sms as staff_sms_text
from bot.outbox import queue_to_address
from bot.runtime import Runtime
from bot.settings import https_or_local
from bot.store.db import utcnow

if TYPE_CHECKING:  # the cases hand the organization in: delivery sits beside the directory
    from bot.directory.ngo import Ngo

#: The header carrying a notice's delivery id (the same on every retry: receivers dedupe on it).
DELIVERY_HEADER = "X-Puente-Delivery"


def webhook(runtime: Runtime, ngo: Ngo, payload: dict[str, Any]) -> None:
    url = ngo.contacts.webhook_url
    if not url:
        raise DeliveryFailed("the organization no longer has a webhook", retryable=False)
    if not https_or_local(url):
        raise DeliveryFailed(
            f"contacts.webhook_url of {ngo.id} is not https: nothing sent; ask the "
            "organization for an https endpoint",
            retryable=False,
        )
    try:
        secret = ngo.contacts.resolve_secret(os.environ)
    except KeyError as exc:
        raise DeliveryFailed(str(exc).strip("'\"")) from None
    body = webhook_body(payload)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        # A webhook_url is loaded only with its secret (bot.directory.rows), so there is one.
        signing.HEADER: signing.sign(
            body, cast(str, secret), utcnow()
        ),  # the receiver's clock, not a test's
        DELIVERY_HEADER: payload["delivery_id"],
        "User-Agent": "Puente-Referrals/1",
    }
    try:
        response = requests.post(
            url,
            data=body,
            headers=headers,
            allow_redirects=False,
            timeout=runtime.settings.routing.webhook_timeout_seconds,
        )
    except requests.RequestException as exc:
        raise DeliveryFailed(f"webhook unreachable ({type(exc).__name__})") from None
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"webhook answered HTTP {response.status_code}")


def email(runtime: Runtime, ngo: Ngo, payload: dict[str, Any]) -> None:
    _mail(runtime, ngo, payload, *notice_email_parts(payload, ngo))


def encrypted_email(runtime: Runtime, ngo: Ngo, payload: dict[str, Any]) -> None:
    """The details, readable only with the organization's OpenPGP key (the subject says nothing)."""
    if not (ngo.contacts.email and ngo.contacts.pgp_key):
        raise DeliveryFailed(
            "the organization no longer has an e-mail address with a key", retryable=False
        )
    _, text, _ = email_parts(payload, ngo)
    try:
        armored = pgp.encrypt(ngo.contacts.pgp_key, text)
    except pgp.PgpError as exc:
        raise DeliveryFailed(f"{ngo.id}: {exc}", retryable=False) from None
    _mail(
        runtime,
        ngo,
        payload,
        f"[Puente] Referral #{payload['referral_id']}: details (encrypted)",
        armored,
        None,
    )


def _mail(
    runtime: Runtime, ngo: Ngo, payload: dict[str, Any], subject: str, text: str, html: str | None
) -> None:
    if not ngo.contacts.email:
        raise DeliveryFailed("the organization no longer has an e-mail address", retryable=False)
    try:
        send_mail(
            runtime.settings.smtp,
            [ngo.contacts.email],
            subject,
            text,
            html,
            message_id_key=payload["delivery_id"],
        )
    except MailError as exc:
        raise DeliveryFailed(str(exc), retryable=exc.retryable) from None


def staff_sms(
    session: Session, runtime: Runtime, ngo: Ngo, sms_from: str | None, payload: dict[str, Any]
) -> None:
    if not ngo.contacts.sms:
        raise DeliveryFailed("the organization no longer has a staff phone", retryable=False)
    if not sms_from or sms_from.startswith("whatsapp:"):
        raise DeliveryFailed("no SMS number to send from: set routing.sms_from", retryable=False)
    queue_to_address(
        session,
        runtime,
        ngo.contacts.sms,
        sms_from,
        staff_sms_text(payload),
        kind="referral",
        dedupe_key=f"{payload['delivery_id']}:sms",
    )
