"""An area of the bot beside the message path (cases, the NGO directory, the portal, the
indicators) as one value: what it adds to a turn, to the web app and to housekeeping.

Each area package exposes one ``AREA`` (in its ``area`` module); create_app and the worker register
them in one explicit list (``bot.areas``), so what runs, and in which order, is read there rather
than found through imports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bot.conversation.effects import Handlers, TurnHook
from bot.runtime import Runtime

if TYPE_CHECKING:
    from flask import Blueprint

#: Erases what an area holds beyond the messages' text once it is older than ``cutoff`` (the end of
#: the message retention period), inside the purge's transaction.
PurgeHook = Callable[[Session, datetime], object]
#: The area's share of the periodic re-drive (lost retries, overdue work), every few seconds.
Housekeeping = Callable[[Runtime], object]


@dataclass(frozen=True)
class Area:
    name: str
    #: Effect handlers, in the order they run among the area's (see bot.conversation.effects.ordered).
    handlers: tuple[Handlers, ...] = ()
    turn_hooks: tuple[TurnHook, ...] = ()
    #: The module whose ``bp`` holds the area's pages, imported by create_app only: an rq worker
    #: never loads Flask, its templates or the views (bench/README.md, "rq workers without Flask").
    views: str | None = None
    purge_hooks: tuple[PurgeHook, ...] = ()
    housekeeping: tuple[Housekeeping, ...] = ()

    def blueprint(self) -> Blueprint | None:
        """The area's pages (imported now), or None."""
        if self.views is None:
            return None
        from importlib import import_module

        return import_module(self.views).bp  # type: ignore[no-any-return]
