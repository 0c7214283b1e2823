"""`rasa` click group (mounted as `puente nlu rasa`): build the venv, train, serve on loopback."""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from nlu.rasa import manage
from nlu.rasa.errors import RasaSetupError


@click.group("rasa")
def rasa() -> None:
    """Rasa 3.6 backend, in its own Python 3.10 venv (PUENTE_RASA_VENV, default .venv-rasa)."""


@rasa.command()
@click.option(
    "--python",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Python 3.10 interpreter (default: pyenv's 3.10.*, then python3.10 on the PATH).",
)
def build(python: Path | None) -> None:
    """Create the venv and install the locked Rasa 3.6.21 into it (skipped when up to date)."""
    paths = manage.RasaPaths.from_env()
    began = time.monotonic()
    with _errors_as_click():
        built = manage.build_venv(paths, python)
    state = f"built in {time.monotonic() - began:.0f} s" if built else "already up to date"
    click.echo(f"Rasa venv {paths.venv}: {state}")


@rasa.command()
@click.option("--force", is_flag=True, help="Train even if the data and pipeline are unchanged.")
def train(force: bool) -> None:
    """Write the Rasa project from nlu/data and run `rasa train nlu` (cached by content hash)."""
    paths = manage.RasaPaths.from_env()
    began = time.monotonic()
    with _errors_as_click():
        model = manage.train(paths, force=force)
    click.echo(f"Rasa model {model} ({time.monotonic() - began:.0f} s)")


@rasa.command()
@click.option("--port", default=5005, show_default=True, help="Loopback port to listen on.")
def serve(port: int) -> None:
    """Build and train if needed, then serve /model/parse on 127.0.0.1 until interrupted."""
    paths = manage.RasaPaths.from_env()
    # SIGTERM must stop the server too, as Ctrl-C does: it runs in its own process group.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with _errors_as_click():
        manage.build_venv(paths)
        server = manage.RasaServer(paths, manage.train(paths), port)
        ready = server.start()
    click.echo(f"Rasa NLU ready at {server.url} in {ready:.0f} s (log: {server.log_path})")
    try:
        code = server.wait()
    except KeyboardInterrupt:
        code = 0
    finally:
        server.stop()
    sys.exit(code)


@contextmanager
def _errors_as_click() -> Iterator[None]:
    """Turn RasaSetupError into a one-line click error instead of a traceback."""
    try:
        yield
    except RasaSetupError as exc:
        raise click.ClickException(str(exc)) from exc
