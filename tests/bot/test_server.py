"""`puente serve`'s worker side: what each gunicorn worker does when it builds the app."""

from __future__ import annotations

import gc

from bot.server import PuenteServer
from tests.conftest import SECRET


def test_a_web_worker_takes_its_startup_objects_out_of_the_garbage_collectors_walks(tmp_path, monkeypatch):
    """Else a full collection walks the whole app with the GIL held, every request of the worker
    waiting: 150-290 ms each time under load on the bench machine (bot.runtime.freeze_startup_objects)."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'puente.db'}")
    monkeypatch.setenv("PUENTE_SECRET_KEY", SECRET)
    # what production requires before it serves (bot.settings.check_production)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "0" * 32)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://puente.example.org")
    gc.unfreeze()
    try:
        app = PuenteServer({}, None).load()
        runtime = app.extensions["puente"]
        assert app.url_map.bind("localhost").match("/webhooks/twilio", method="POST")
        assert gc.get_freeze_count() > 10_000  # the modules, the app and its extensions
    finally:
        gc.unfreeze()
    runtime.close()  # no Redis here: the app re-drives its own work on a thread
