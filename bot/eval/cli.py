"""`puente eval`: evaluations of the whole bot, as a worker meets it (figures, not tests)."""

from __future__ import annotations

import logging
from pathlib import Path

import click

#: The conversation sets kept in the repo; `dev` is looked at while fixing, `heldout` only scored.
CONVERSATIONS = Path(__file__).resolve().parents[2] / "eval" / "conversations"


@click.group("eval")
def eval_group() -> None:
    """Evaluate the bot end to end (conversations through the real webhook pipeline)."""


@eval_group.command("conversations")
@click.argument("files", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--failures", default=20, show_default=True, help="How many failures to print.")
@click.pass_context
def conversations(ctx: click.Context, files: tuple[Path, ...], failures: int) -> None:
    """Score multi-turn conversations in FILES (or folders of them; default: eval/conversations/)."""
    from bot.eval import conversations as conversation_eval
    from bot.settings import settings_from

    paths = [
        found
        for path in (files or (CONVERSATIONS,))
        for found in (
            sorted([*path.glob("*.yaml"), *path.glob("*.yml")]) if path.is_dir() else [path]
        )
    ]
    if not paths:
        raise click.ClickException("no conversation files (*.yaml) in what was given")
    logging.getLogger("bot").setLevel(logging.WARNING)  # one line per sent message otherwise
    items = conversation_eval.load_conversations(paths)
    click.echo(f"{len(items)} conversations from {', '.join(p.name for p in paths)}")
    scores = conversation_eval.run(items, settings_from(ctx))
    click.echo(conversation_eval.report(scores, failures))


@eval_group.command("replies")
@click.pass_context
def replies(ctx: click.Context) -> None:
    """SMS segments per reply and per question, turns paged, messages to file a report."""
    from bot.eval import replies as reply_eval
    from bot.settings import settings_from

    logging.getLogger("bot").setLevel(logging.WARNING)
    click.echo(reply_eval.run(settings_from(ctx)))
