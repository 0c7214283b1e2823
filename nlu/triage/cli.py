"""`puente nlu triage` (also `python -m nlu triage`): score the safety triage on its held-out set,
or with --tune choose its threshold by cross-validation on the training data."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from nlu.training_data import load
from nlu.triage import triage_classifier
from nlu.triage.evaluate import Report, cross_validate, heldout_examples, score
from nlu.triage.model import training_examples


@click.command("triage")
@click.argument("text", nargs=-1)
@click.option(
    "--tune", is_flag=True, help="Cross-validate thresholds on the training data instead."
)
@click.option(
    "--errors", type=int, default=40, show_default=True, help="Misses and false alarms to list."
)
@click.option(
    "--test",
    "test_file",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Score this labelled file alone instead of the held-out set.",
)
def triage(text: tuple[str, ...], tune: bool, errors: int, test_file: Path | None) -> None:
    """Triage TEXT, or print recall on danger and false alarms on ordinary held-out messages."""
    if text:
        click.echo(
            json.dumps(triage_classifier().classify(" ".join(text)).to_dict(), ensure_ascii=False)
        )
        return
    if tune:
        start = time.perf_counter()
        grid = [round(0.05 * k, 2) for k in range(2, 19)]
        for threshold, (recall, alarms) in cross_validate(training_examples(), grid).items():
            click.echo(f"threshold {threshold:.2f}: recall {recall:.3f}  false alarms {alarms:.3f}")
        click.echo(
            f"(5-fold cross-validation, classifier without cues, {time.perf_counter() - start:.1f} s)"
        )
        return
    classifier = triage_classifier()
    examples = list(load(test_file).examples) if test_file else heldout_examples()
    report = score(classifier, examples)
    _print(report, classifier.threshold, errors, str(test_file or "the held-out set"))


def _print(report: Report, threshold: float, errors: int, name: str) -> None:
    rate = Report.rate
    caught, alarms = report.total(report.caught), report.total(report.alarms)
    click.echo(f"safety triage on {name} (threshold {threshold:.2f})")
    click.echo(f"recall on danger messages   {rate(caught):.3f}  ({caught[0]}/{caught[1]})")
    click.echo(f"false alarms on ordinary    {rate(alarms):.3f}  ({alarms[0]}/{alarms[1]})")
    click.echo(
        f"right category when caught  {rate(report.right_category):.3f}  "
        f"({report.right_category[0]}/{report.right_category[1]})"
    )
    click.echo("recall per category/language:")
    for key in sorted(report.caught):
        click.echo(
            f"  {key:<16} {rate(report.caught[key]):.3f}  ({report.caught[key][0]}/{report.caught[key][1]})"
        )
    click.echo("false alarms per language:")
    for key in sorted(report.alarms):
        click.echo(
            f"  {key:<16} {rate(report.alarms[key]):.3f}  ({report.alarms[key][0]}/{report.alarms[key][1]})"
        )
    for title, rows in (("missed", report.misses), ("false alarms", report.false_alarms)):
        if rows and errors:
            click.echo(f"{title}:")
            for text, expected, found in rows[:errors]:
                click.echo(f"  [{expected} -> {found}] {text}")
