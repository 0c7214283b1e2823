"""`puente serve`: gunicorn with production settings; each worker builds its own app after fork."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication

from bot.settings import Settings

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
    def __init__(self, options: dict[str, Any], config: str | None):
        self.options = options
        self.config_path = config
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        from bot import create_app
        from bot.settings import load_settings

        return create_app(load_settings(self.config_path, env="production"))


def _child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]  # untyped in prometheus_client


def run_gunicorn(
    settings: Settings, *, host: str, port: int, workers: int, config: str | None
) -> None:
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        **WORKER_OPTIONS,
        "graceful_timeout": 20,
        "accesslog": None,  # access logs would hold URLs only, but keep them off by default
        "errorlog": "-",
        "loglevel": settings.log_level.lower(),
        "preload_app": False,
        "forwarded_allow_ips": "127.0.0.1",
        "child_exit": _child_exit,
    }
    PuenteServer(options, config).run()
