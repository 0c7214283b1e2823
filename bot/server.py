"""`puente serve`: gunicorn with production settings.

The app is built once, in gunicorn's master, before it forks its workers: they share its pages
(code, flows, catalogs) instead of each building a copy (bench/README.md, "One app for the web
workers"). The master closes its database connections before forking: each worker opens its own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication

from bot.runtime import Runtime

if TYPE_CHECKING:
    from flask import Flask

#: Each worker process answers with threads: while some wait on the database, others parse and
#: check requests. bench/webhook.py gives the same options to the bare app it compares against.
WORKER_OPTIONS: dict[str, Any] = {
    "worker_class": "gthread",
    "threads": 8,
    "timeout": 30,
    "keepalive": 5,
}


class PuenteServer(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type hints
    def __init__(self, options: dict[str, Any], runtime: Runtime):
        self.options = options
        self.runtime = runtime
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        """The app, in the master (``preload_app``), ready for the workers to share."""
        import gc

        from bot import create_app

        app = create_app(self.runtime.settings, runtime=self.runtime, threads=False)
        _ = self.runtime.engine  # the flows, read once here rather than once per worker
        # No database connection crosses the fork: a worker's first statement opens its own
        # (redis-py's pool starts afresh in a process of another pid by itself).
        self.runtime.db.dispose()
        # Objects made so far stay out of the collector's passes, which would write to (and so
        # copy) the pages the workers share.
        gc.freeze()
        return app


def _post_fork(server: Any, worker: Any) -> None:
    from bot import start_threads

    start_threads(server.app.runtime)  # in each worker: no thread survives the fork


def _child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]  # untyped in prometheus_client


def run_gunicorn(runtime: Runtime, *, host: str, port: int, workers: int) -> None:
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        **WORKER_OPTIONS,
        "graceful_timeout": 20,
        "accesslog": None,  # access logs would hold URLs only, but keep them off by default
        "errorlog": "-",
        "loglevel": runtime.settings.log_level.lower(),
        "preload_app": True,
        "forwarded_allow_ips": "127.0.0.1",
        "post_fork": _post_fork,
        "child_exit": _child_exit,
    }
    PuenteServer(options, runtime).run()
