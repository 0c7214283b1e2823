"""The directory's table: one row per organization."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.db import Base, utcnow


class NgoRecord(Base):
    """One organization of the directory: its record as imported (``active`` and ``capacity`` are
    copied out so the portal can change them without editing the record)."""

    __tablename__ = "ngos"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    record: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(default=True)
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    # The organization requires its staff to sign in with a second factor (set in the portal).
    staff_totp_required: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
