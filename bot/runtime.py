"""Everything a request or a job needs, built once per process from the settings.

The web app keeps it in ``app.extensions["puente"]``; jobs (rq workers or the in-process thread) get
it from :func:`current`, built from the environment on first use in a bare ``rq worker`` (with no
areas registered: cases, routing and indicators need ``puente worker``, which registers them).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from bot.channels.twilio.circuit import Circuit
from bot.channels.twilio.gateway import Sender, make_sender
from bot.errors import QueueUnavailable
from bot.jobs.queue import InlineQueue, Job, JobQueue, RqQueue, job_name
from bot.settings import Settings, ensure_secret_key, load_settings
from bot.store.db import Database
from bot.store.envelope import Envelope
from bot.store.keyring import Keyring
from bot.store.vault import Vault

if TYPE_CHECKING:
    from bot.conversation.areas import Area
    from flows import Engine
    from nlu import Interpreter
    from nlu.triage.model import TriageClassifier

log = logging.getLogger(__name__)

_current: Runtime | None = None
_current_lock = threading.Lock()


@dataclass
class Runtime:
    settings: Settings
    db: Database
    vault: Vault
    queue: JobQueue
    sender: Sender
    circuit: Circuit
    extras: dict[str, Any] = field(default_factory=dict)
    #: The areas beside the message path (bot.areas), registered by create_app or the worker.
    areas: tuple[Area, ...] = ()

    @classmethod
    def build(cls, settings: Settings, *, sender: Sender | None = None) -> Runtime:
        settings = ensure_secret_key(settings)
        queue: JobQueue
        if settings.redis_url:
            queue = RqQueue(settings.redis_url, settings.jobs.queue_name)
        else:
            queue = InlineQueue(sync=settings.jobs.inline_sync)
        jobs = settings.jobs
        runtime = cls(
            settings=settings,
            db=Database(settings.database_url),
            vault=Vault(settings.secret_key or ""),
            queue=queue,
            sender=sender or make_sender(settings.twilio),
            circuit=Circuit(
                getattr(queue, "redis", None),
                failures=jobs.circuit_failures,
                probe_seconds=jobs.circuit_probe_seconds,
            ),
        )
        runtime._enqueue_after_commit()
        return runtime

    @cached_property
    def envelope(self) -> Envelope:
        """Data keys per conversation and report, wrapped by the master keys (bot.store.envelope)."""
        return Envelope(Keyring(self.vault, self.settings.master_key_file))

    @cached_property
    def interpreter(self) -> Interpreter:
        """The NLU interpreter the settings choose (the embedded one from the model cache)."""
        return load_models(self.settings)[0]

    @cached_property
    def triage(self) -> TriageClassifier:
        """The safety triage classifier (nlu/triage), from the model cache."""
        return load_models(self.settings)[1]

    @cached_property
    def engine(self) -> Engine:
        import flows
        from bot.text import catalogs

        conversation = self.settings.conversation
        return flows.load_engine(
            session_timeout=conversation.session_timeout_minutes,
            default_language=conversation.default_language,
            province_list_channels=tuple(conversation.province_list_channels),
            intent_thresholds=dict(self.settings.nlu.intent_thresholds),
            never_offered=tuple(self.settings.nlu.never_offered),
            # Lets a typed option label or a WhatsApp button's text answer like its number.
            labels=lambda msgid, lang: catalogs.translator(lang).gettext(msgid),
        )

    def close(self) -> None:
        """Stop the re-drive thread an app without Redis runs (bot.create_app) and close the
        database's connections: for whoever built this runtime and is done with it."""
        if stop := self.extras.get("stop"):
            stop.set()
        if isinstance(self.queue, InlineQueue):
            self.queue.cancel_delayed()
        self.db.dispose()

    def warm_up(self, progress: Callable[[str], object] | None = None) -> None:
        """Load the NLU models, flows and catalogs now, not on the first worker's message
        (``progress`` is told when a model must be trained first)."""
        from bot.text import catalogs

        if "interpreter" not in self.__dict__ or "triage" not in self.__dict__:
            # Loaded once: a second warm-up (the re-drive thread's) keeps the models in use.
            self.interpreter, self.triage = load_models(self.settings, progress)
        self.interpreter.parse("hola")
        self.triage.classify("hola")
        _ = self.engine
        catalogs.translator("es")

    def enqueue(
        self,
        func: Job,
        *args: int | str,
        delay: float | None = None,
        job_id: str | None = None,
        queue: str | None = None,
    ) -> bool:
        """Queue a job; False when the queue is down (the database row lets the re-driver retry).

        With a ``job_id`` (derived from the row it works on), nothing is queued while a job of that
        id waits already. ``queue``: one of bot.jobs.queue.QUEUES, else the function's own."""
        if job_id:
            return self._queued(
                func,
                lambda: self.queue.enqueue_unique(func, {job_id: args}, delay=delay, queue=queue),
            )
        return self._queued(func, lambda: self.queue.enqueue(func, *args, delay=delay, queue=queue))

    def enqueue_unique(
        self,
        func: Job,
        jobs: Mapping[str, tuple[int | str, ...]],
        *,
        queue: str | None = None,
        hurry: bool = False,
    ) -> int:
        """Queue ``func(*args)`` under each job id that has no job waiting; how many were queued."""
        queued: list[str] = []
        self._queued(
            func,
            lambda: queued.extend(self.queue.enqueue_unique(func, jobs, queue=queue, hurry=hurry)),
        )
        return len(queued)

    def enqueue_once(
        self,
        func: Job,
        jobs: Mapping[str, tuple[int | str, ...]],
        job_ids: Mapping[str, str] | None = None,
        delay: float | None = None,
    ) -> bool:
        """Queue ``func(*args)`` for each marker, except while a job under that marker waits to start
        (``delay``: to run that many seconds from now), however long the queue; False when the
        queue is down, as for :meth:`enqueue`."""
        return self._queued(func, lambda: self.queue.enqueue_once(func, jobs, job_ids, delay=delay))

    @staticmethod
    def _queued(func: Job, enqueue: Callable[[], object]) -> bool:
        try:
            enqueue()
            return True
        except QueueUnavailable as exc:
            log.warning("could not queue %s: %s", job_name(func), exc)
            return False

    def _enqueue_after_commit(self) -> None:
        """Jobs listed in ``session.info['after_commit']`` are queued once the rows they read exist
        (those a caller took to run itself are no longer listed: :func:`take_after_commit`)."""

        @event.listens_for(self.db.sessions, "after_commit")
        def _after_commit(session: Session) -> None:
            if session.in_nested_transaction():
                return  # a SAVEPOINT released: nothing is committed until the outer transaction is
            for _transaction, func, args, delay, job_id in session.info.pop("after_commit", []):
                self.enqueue(func, *args, delay=delay, job_id=job_id)

        @event.listens_for(self.db.sessions, "after_soft_rollback")
        def _after_rollback(session: Session, previous: SessionTransaction) -> None:
            # Forget the jobs of the rolled-back transaction (a SAVEPOINT or all), keep the others.
            jobs = session.info.get("after_commit", [])
            jobs[:] = [job for job in jobs if not _within(job[0], previous)]


def load_models(
    settings: Settings, progress: Callable[[str], object] | None = None
) -> tuple[Interpreter, TriageClassifier]:
    """The intent interpreter and the triage classifier, loaded from the model cache folder
    (nlu.model_cache_dir), trained into it first if missing (``progress`` is told)."""
    import nlu
    from nlu.triage import triage_classifier

    nlu_settings = settings.nlu
    cache_dir = nlu_settings.cache_dir(settings.instance_path)
    interpreter = nlu.get_interpreter(
        backend=nlu_settings.backend,
        rasa_url=nlu_settings.rasa_url,
        threshold=nlu_settings.confidence_threshold,
        rasa_timeout=nlu_settings.rasa_timeout_seconds,
        cache_dir=cache_dir,
        progress=progress,
    )
    return interpreter, triage_classifier(cache_dir, progress)


def after_commit(
    session: Session,
    func: Job,
    *args: int | str,
    delay: float | None = None,
    job_id: str | None = None,
) -> None:
    """Queue a job when this session commits (never for rows that were rolled back)."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault("after_commit", []).append((transaction, func, args, delay, job_id))


def take_after_commit(session: Session, func: Job) -> list[tuple[int | str, ...]]:
    """The arguments of the ``func`` jobs (not delayed) this session would queue when it commits,
    taken out: the caller runs them itself once it has committed. Called just before the commit."""
    jobs = session.info.get("after_commit", [])
    taken = [job for job in jobs if job[1] is func and job[3] is None]
    jobs[:] = [job for job in jobs if not (job[1] is func and job[3] is None)]
    return [args for _transaction, _func, args, _delay, _job_id in taken]


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def set_current(runtime: Runtime | None) -> None:
    global _current
    _current = runtime


def current() -> Runtime:
    global _current
    with _current_lock:
        if _current is None:
            _current = Runtime.build(load_settings())
        return _current
