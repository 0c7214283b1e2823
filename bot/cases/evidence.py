"""Photos and documents a worker sends with a report: fetched from Twilio, kept encrypted.

Twilio serves media only with the account's credentials, so a job fetches each item after the
report is filed (the webhook never waits for it). Only images are kept, re-encoded without their
metadata (bot.cases.images); once fetched, or given up, the item is deleted at Twilio. With
``reports.store_media`` off nothing of the media is kept, not even its address.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases import images
from bot.cases.models import MediaStatus, Report, ReportMedia
from bot.channels.twilio import cleanup
from bot.channels.twilio.gateway import check_media_url
from bot.errors import SendError
from bot.jobs.queue import runs_in
from bot.runtime import Runtime, after_commit, current

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


def attach(
    session: Session, runtime: Runtime, report: Report, items: Iterable[Mapping[str, Any]]
) -> int:
    """Note the media to fetch (their Twilio URLs stay encrypted) and queue the fetch; return how many."""
    settings = runtime.settings.reports
    if not settings.store_media:
        return 0
    count = 0
    for item in list(items)[: settings.max_media_items]:
        url = item.get(
            "url"
        )  # opened by the turn (bot.conversation.inbox), sealed here to the report
        if not url:
            continue
        media = ReportMedia(
            report_id=report.id,
            content_type=str(item.get("content_type") or "application/octet-stream")[:100],
        )
        session.add(media)
        session.flush()  # its id: the URL is sealed to its row, under the report's data key
        runtime.envelope.put(session, report.sealing_key, media, "url_enc", url)
        count += 1
    if count:
        after_commit(session, fetch_media, report.id)
    return count


@runs_in("referrals")
def fetch_media(report_id: int) -> dict[str, int]:
    """Job: fetch a report's evidence from Twilio and keep it encrypted."""
    return fetch(current(), report_id)


def fetch(runtime: Runtime, report_id: int) -> dict[str, int]:
    """Fetch and encrypt a report's pending media (idempotent: stored items are not fetched again)."""
    settings = runtime.settings.reports
    counts: dict[str, int] = {MediaStatus.STORED: 0, MediaStatus.FAILED: 0, MediaStatus.PENDING: 0}
    with runtime.db.session() as session:
        ids = session.scalars(
            select(ReportMedia.id).where(
                ReportMedia.report_id == report_id, ReportMedia.status == MediaStatus.PENDING
            )
        ).all()
    for media_id in ids:
        with runtime.db.session() as session:
            row = session.get(ReportMedia, media_id)
            if row is None or row.status != MediaStatus.PENDING:
                continue
            if not settings.store_media:
                session.delete(row)
                continue
            row.attempts += 1
            url = runtime.envelope.get_bytes(session, row, "url_enc").decode()
            try:
                data, content_type = runtime.sender.fetch_media(url, settings.max_media_bytes)
            except (SendError, requests.RequestException) as exc:
                final = (
                    isinstance(exc, SendError) and not exc.retryable
                ) or row.attempts >= MAX_ATTEMPTS
                log.warning(
                    "media %s of report %s not fetched (%s)%s",
                    media_id,
                    report_id,
                    type(exc).__name__,
                    "" if not final else "; giving up",
                )
                if final:
                    row.status, row.url_enc = MediaStatus.FAILED, None
                    _delete_at_twilio(session, runtime, url)
                    counts[MediaStatus.FAILED] += 1
                else:
                    counts[MediaStatus.PENDING] += 1
                continue
            _delete_at_twilio(session, runtime, url)
            try:
                data, content_type = images.clean(data)
            except images.RefusedMedia as exc:
                log.warning("media %s of report %s refused: %s", media_id, report_id, exc)
                row.status, row.url_enc = MediaStatus.FAILED, None
                counts[MediaStatus.FAILED] += 1
                continue
            runtime.envelope.put(session, row.report.sealing_key, row, "data_enc", data)
            row.size = len(data)
            row.content_type, row.status, row.url_enc = content_type, MediaStatus.STORED, None
            counts[MediaStatus.STORED] += 1
    return counts


def _delete_at_twilio(session: Session, runtime: Runtime, url: str) -> None:
    """The item is of no more use at Twilio once fetched (or given up): delete it there."""
    try:
        message_sid, media_sid = check_media_url(url, runtime.settings.twilio)
    except SendError:
        return  # not a Twilio media URL: nothing of ours to delete
    deletion = cleanup.schedule(
        session.connection(), runtime, message_sid, media_sid=media_sid, wait=0
    )
    if deletion is not None:
        after_commit(session, cleanup.delete_at_twilio, deletion)


def read(session: Session, runtime: Runtime, media: ReportMedia) -> bytes:
    """A stored item's bytes (for the assigned organization's staff in the portal)."""
    if media.data_enc is None:
        raise ValueError("this evidence item was not stored")
    return runtime.envelope.get_bytes(session, media, "data_enc")
