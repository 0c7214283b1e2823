"""`nlu` commands: train, parse, eval, review. Registered under `puente nlu`; also
runnable as `python -m nlu`."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TextIO

import click

from nlu import DATA_DIR, DEFAULT_THRESHOLD, get_interpreter
from nlu.embedded import EmbeddedInterpreter
from nlu.evaluate import best_threshold, cross_validate, score, with_threshold
from nlu.review import candidates_yaml
from nlu.training_data import load
from vocab import LANGUAGES

HELDOUT = Path(__file__).resolve().parent / "test" / "heldout.yml"
DEFAULT_MODEL = Path("instance") / "nlu-embedded.npz"


@click.group("nlu")
def nlu() -> None:
    """Intent, entity and language recognition (es/tl/en)."""


@nlu.command()
@click.option(
    "--data",
    "data_dir",
    type=click.Path(exists=True, path_type=Path),
    default=DATA_DIR,
    show_default=True,
)
@click.option(
    "--model",
    "model_path",
    type=click.Path(path_type=Path),
    default=DEFAULT_MODEL,
    show_default=True,
)
@click.option(
    "--tune/--no-tune",
    default=False,
    help="Tune the fallback threshold by 5-fold cross-validation.",
)
@click.option(
    "--test", "test_file", type=click.Path(path_type=Path), default=HELDOUT, show_default=True
)
def train(data_dir: Path, model_path: Path, tune: bool, test_file: Path) -> None:
    """Train the embedded model and save it; print the time taken and its accuracy."""
    data = load(data_dir)
    threshold = None if tune else DEFAULT_THRESHOLD
    start = time.perf_counter()
    interpreter = EmbeddedInterpreter.train(data, threshold=threshold)
    elapsed = time.perf_counter() - start
    interpreter.save(model_path)
    click.echo(
        f"trained on {len(data.examples)} examples, {len(data.intents)} intents in {elapsed:.2f} s"
    )
    click.echo(f"threshold {interpreter.threshold:.2f}; saved to {model_path}")
    click.echo(f"training accuracy {score(interpreter, data.examples).accuracy:.3f}")
    if test_file.exists():
        test = score(interpreter, load(test_file).examples)
        click.echo(
            f"held-out accuracy {test.accuracy:.3f} (language {test.language_accuracy or 0:.3f}) on {test_file}"
        )


@nlu.command()
@click.argument("text", nargs=-1)
@click.option(
    "--jsonl", is_flag=True, help="One message per stdin line; one JSON parse per stdout line."
)
@click.option("--hint", "language_hint", type=click.Choice(LANGUAGES), default=None)
@click.option(
    "--backend", type=click.Choice(["embedded", "rasa"]), default="embedded", show_default=True
)
@click.option("--rasa-url", default=None)
@click.option("--threshold", type=float, default=None)
@click.option("--model", "model_path", type=click.Path(path_type=Path), default=None)
def parse(
    text: tuple[str, ...],
    jsonl: bool,
    language_hint: str | None,
    backend: str,
    rasa_url: str | None,
    threshold: float | None,
    model_path: Path | None,
) -> None:
    """Parse TEXT, or stdin lines with --jsonl (a line may also be {"text": ..., "language_hint": ...})."""
    interpreter = get_interpreter(backend, rasa_url, threshold, model_path=model_path)
    if not jsonl:
        click.echo(
            json.dumps(
                interpreter.parse(" ".join(text), language_hint).to_dict(),
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for line in sys.stdin:
        message, hint = _message(line.rstrip("\r\n"), language_hint)
        sys.stdout.write(
            json.dumps(interpreter.parse(message, hint).to_dict(), ensure_ascii=False) + "\n"
        )
        sys.stdout.flush()


def _message(line: str, default_hint: str | None) -> tuple[str, str | None]:
    if line.startswith("{"):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            return line, default_hint
        if isinstance(obj, dict) and isinstance(obj.get("text"), str):
            return obj["text"], obj.get("language_hint") or default_hint
    return line, default_hint


@nlu.command("eval")
@click.option(
    "--data",
    "data_path",
    type=click.Path(exists=True, path_type=Path),
    default=DATA_DIR,
    show_default=True,
)
@click.option(
    "--test",
    "test_file",
    type=click.Path(path_type=Path),
    default=None,
    help=f"Held-out file (default: {HELDOUT.name} when --data is the default).",
)
@click.option("--folds", type=int, default=5, show_default=True, help="0 skips cross-validation.")
@click.option(
    "--errors", type=int, default=40, show_default=True, help="Misclassified examples to list."
)
def evaluate(data_path: Path, test_file: Path | None, folds: int, errors: int) -> None:
    """Stratified cross-validation on DATA and scoring on the held-out file."""
    data = load(data_path)
    if test_file is None and data_path.resolve() == DATA_DIR and HELDOUT.exists():
        test_file = HELDOUT
    if folds > 1:
        start = time.perf_counter()
        cv = cross_validate(data, folds=folds)
        threshold = best_threshold(cv)
        click.echo(
            cv.report(
                f"{folds}-fold cross-validation on {data_path} (no fallback threshold)", errors
            )
        )
        tuned = with_threshold(cv, threshold)
        click.echo(
            f"\nbest fallback threshold {threshold:.2f}: accuracy {tuned.accuracy:.3f}, "
            f"macro-F1 {tuned.macro_f1:.3f} ({time.perf_counter() - start:.1f} s)\n"
        )
    if test_file is not None:
        interpreter = EmbeddedInterpreter.train(data, threshold=DEFAULT_THRESHOLD)
        test = score(interpreter, load(test_file).examples)
        click.echo(
            test.report(f"held-out {test_file} (threshold {interpreter.threshold:.2f})", errors)
        )


@nlu.command()
@click.option(
    "--input",
    "source",
    type=click.File("r", encoding="utf-8"),
    default="-",
    show_default=True,
    help="JSON lines with text, intent, confidence, language.",
)
@click.option(
    "--database",
    "from_database",
    is_flag=True,
    help="Read the bot's review queue (nlu_review table) instead of JSON lines.",
)
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-", show_default=True)
@click.pass_context
def review(ctx: click.Context, source: TextIO, from_database: bool, output: TextIO) -> None:
    """Write low-confidence records as Rasa-format candidates for annotators."""
    if from_database:
        load = (ctx.find_root().obj or {}).get("review_records")  # given by `puente` (bot.cli)
        if load is None:
            raise click.UsageError(
                "--database reads the bot's queue: run `puente nlu review --database`"
            )
        records = load()
    else:
        records = [json.loads(line) for line in source if line.strip()]
    output.write(candidates_yaml(records))


def _mount_rasa() -> None:
    from nlu.rasa.cli import rasa
    from nlu.triage.cli import triage

    nlu.add_command(rasa)
    nlu.add_command(triage)


_mount_rasa()


def main() -> None:
    nlu(prog_name="python -m nlu")
