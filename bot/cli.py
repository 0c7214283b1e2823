"""The `puente` command: serve, run, worker, db, chat, and the areas' own subcommands."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from bot.errors import ConfigError, PuenteError
from bot.jobs.queue import QUEUES
from vocab import CHANNELS

if TYPE_CHECKING:
    from bot.runtime import Runtime
    from bot.settings import Settings

log = logging.getLogger(__name__)


def settings_from(ctx: click.Context, **overrides: Any) -> Settings:
    from bot import settings  # pydantic loads when a command runs, not for `puente --help`

    return settings.settings_from(ctx, **overrides)


class Group(click.Group):
    """Turns Puente's own errors into one clear line, and imports an area's commands only when one
    is run: `puente --help` lists them from AREA_COMMANDS without loading the areas."""

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in AREA_COMMANDS:
            self.add_command(AREA_COMMANDS[name].load(), name)
        return super().get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *AREA_COMMANDS})

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max(len(name) for name in self.list_commands(ctx))
        rows = [
            (name, command.get_short_help_str(limit))
            for name, command in self.commands.items()
            if not command.hidden
        ]
        rows += [
            (name, area.help) for name, area in AREA_COMMANDS.items() if name not in self.commands
        ]
        with formatter.section("Commands"):
            formatter.write_dl(sorted(rows))

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PuenteError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=Group)
@click.option("--config", "config", envvar="PUENTE_CONFIG", help="Another config.yaml.")
@click.pass_context
def main(ctx: click.Context, config: str | None) -> None:
    """Puente: rights information and safe reporting for temporary foreign workers, by SMS and WhatsApp."""
    # What area commands below the app need from it, passed in rather than imported upward.
    ctx.ensure_object(dict).update(
        config=config, runtime=lambda: _runtime(ctx), review_records=lambda: _review_records(ctx)
    )


def _runtime(ctx: click.Context) -> Runtime:
    from bot.runtime import Runtime

    return Runtime.build(settings_from(ctx))


def _review_records(ctx: click.Context) -> list[dict[str, Any]]:
    """The bot's NLU review queue, for `puente nlu review --database`."""
    from bot.conversation import nlu_review

    return nlu_review.records(_runtime(ctx))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, help="Default: PORT or config.yaml's port.")
@click.option("--workers", type=int, help="Default: WEB_CONCURRENCY, else 2.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int | None, workers: int | None) -> None:
    """Serve the webhook and portal with gunicorn (production settings)."""
    settings = settings_from(ctx, env="production")
    from bot.settings import check_production

    check_production(settings)
    _shared_metrics_dir(settings)
    from bot.runtime import Runtime
    from bot.server import run_gunicorn

    run_gunicorn(
        Runtime.build(settings),  # fails now, before any worker starts, if the settings cannot work
        host=host,
        port=port or settings.port,
        workers=workers or int(os.environ.get("WEB_CONCURRENCY", 2)),
    )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, help="Default: PORT or config.yaml's port.")
@click.pass_context
def run(ctx: click.Context, host: str, port: int | None) -> None:
    """Run the bot on this machine: migrate the database, then serve with the development server."""
    from bot.settings import ensure_secret_key

    settings = ensure_secret_key(settings_from(ctx), generate=True)  # a developer's first start
    from bot import create_app
    from bot.channels.twilio.gateway import INBOUND_WEBHOOK
    from bot.store import migrate

    migrate.upgrade(settings.database_url, settings=settings)
    app = create_app(settings)
    app.extensions["puente"].warm_up(
        progress=_progress
    )  # before /healthz: the first reply is at once
    port = port or settings.port
    click.echo(f"""
Puente is running on http://{host}:{port}
  Point your Twilio number's (and WhatsApp sender's) "A message comes in" webhook at
    {settings.public_base_url or f"http://{host}:{port}"}{INBOUND_WEBHOOK}   (HTTP POST)
  or talk to the bot in this terminal:  puente chat
  Replies go to {"Twilio" if settings.twilio.configured else "this console (no Twilio credentials set)"}.
""")
    app.run(host=host, port=port, threaded=True, use_reloader=False)


@main.command()
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option(
    "--queues",
    default=",".join(QUEUES),
    show_default=True,
    help="The queues to take jobs from, most urgent first (a dedicated worker names one).",
)
@click.pass_context
def worker(ctx: click.Context, burst: bool, queues: str) -> None:
    """Run an rq worker (with rq's scheduler for delayed jobs) and the periodic re-drive/purge."""
    settings = settings_from(ctx)
    if not settings.redis_url:
        raise click.ClickException(
            "worker needs redis_url (REDIS_URL); without Redis, jobs run inside the web process"
        )
    names = [name.strip() for name in queues.split(",") if name.strip()]
    if unknown := [name for name in names if name not in QUEUES]:
        raise click.BadParameter(
            f"unknown queue {unknown[0]!r}; the queues are {', '.join(QUEUES)}",
            param_hint="--queues",
        )
    _shared_metrics_dir(settings)
    from bot.jobs.worker import run_worker

    run_worker(settings, burst=burst, queues=names)


def _shared_metrics_dir(settings: Settings) -> None:
    """Web and rq processes on this machine add their histograms up in one folder (Prometheus)."""
    path = os.environ.setdefault(
        "PROMETHEUS_MULTIPROC_DIR", os.path.join(settings.instance_path, "metrics")
    )
    os.makedirs(path, exist_ok=True)


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Create or migrate the tables (Alembic), and build the NLU models if not built yet."""
    settings = settings_from(ctx)
    from bot.runtime import load_models
    from bot.store import migrate

    try:
        from bot.settings import ensure_secret_key

        settings = ensure_secret_key(settings)  # to re-encrypt stored data, where a migration does
    except ConfigError:
        pass  # a new or empty database needs none; a migration that does says which key to set
    migrate.upgrade(settings.database_url, revision, settings)
    click.echo(f"database at revision {migrate.current(settings.database_url)}")
    load_models(settings, progress=_progress)
    click.echo(f"NLU models ready in {settings.nlu.cache_dir(settings.instance_path)}")


def _progress(message: str) -> None:
    click.echo(message, err=True)


@main.command()
@click.option("--channel", type=click.Choice(CHANNELS), default="sms", show_default=True)
@click.option(
    "--number", default="+15550100001", show_default=True, help="The worker's number to pretend."
)
@click.option("--to", "to", default="+15550109999", show_default=True, help="The bot's number.")
@click.option(
    "--new",
    "new",
    is_flag=True,
    help="Start a fresh conversation (a new number) instead of resuming.",
)
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False),
    help="Write logs here (default: WARNING and up on stderr).",
)
@click.pass_context
def chat(
    ctx: click.Context, channel: str, number: str, to: str, new: bool, log_file: str | None
) -> None:
    """Talk to the bot in this terminal, through the same webhook pipeline (replies printed here)."""
    from bot.channels.console import chat_loop
    from bot.settings import ensure_secret_key

    settings = ensure_secret_key(settings_from(ctx), generate=True)
    chat_loop(settings, channel=channel, number=number, bot_number=to, new=new, log_file=log_file)


@main.command()
@click.pass_context
def redrive(ctx: click.Context) -> None:
    """Queue again inbound messages and sends left undone by an outage."""
    from bot.conversation import inbox
    from bot.runtime import Runtime

    click.echo(inbox.redrive(Runtime.build(settings_from(ctx))))


@main.command()
@click.pass_context
def purge(ctx: click.Context) -> None:
    """Erase message text older than messages.retention_days."""
    from bot import areas
    from bot.jobs import tasks
    from bot.runtime import Runtime, set_current

    runtime = Runtime.build(settings_from(ctx))
    runtime.areas = areas()  # the cases' transcripts go too
    set_current(runtime)
    click.echo(tasks.purge())


@main.command("secret")
def secret() -> None:
    """Print a new random secret key for PUENTE_SECRET_KEY."""
    click.echo(secrets.token_urlsafe(48))


def _nlu() -> click.Command:
    from nlu.cli import nlu

    return nlu


def _user() -> click.Command:
    from bot.portal.cli import user

    return user


def _ngo() -> click.Command:
    from bot.directory.cli import ngo

    return ngo


def _digest() -> click.Command:
    from bot.analytics.cli import digest

    return digest


def _eval() -> click.Command:
    from bot.eval.cli import eval_group

    return eval_group


def _keys() -> click.Command:
    from bot.store.keys_cli import keys

    return keys


@dataclass(frozen=True)
class AreaCommand:
    """An area's command group, imported only when it is run (`puente --help` loads no area)."""

    help: str  #: the one line `puente --help` shows: the command's own (tests/bot/test_cli_help.py)
    load: Callable[[], click.Command]


AREA_COMMANDS: dict[str, AreaCommand] = {
    "nlu": AreaCommand("Intent, entity and language recognition (es/tl/en).", _nlu),
    "user": AreaCommand("Accounts of the NGO staff portal.", _user),
    "ngo": AreaCommand("The NGO directory referrals are routed to.", _ngo),
    "digest": AreaCommand(
        "Write the monthly digest: summary, headline figures, trends and tables, small counts "
        "suppressed.",
        _digest,
    ),
    "eval": AreaCommand(
        "Evaluate the bot end to end (conversations through the real webhook pipeline).", _eval
    ),
    "keys": AreaCommand(
        "Master key rotation (envelope encryption of conversations and reports).", _keys
    ),
}
