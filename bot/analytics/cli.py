"""`puente digest`: the month's indicators as an HTML report (PDF, e-mail) for program officers."""

from __future__ import annotations

from pathlib import Path

import click

from vocab import STAFF_LANGUAGES


@click.command("digest")
@click.option("--month", required=True, help="The month to report on, as YYYY-MM (e.g. 2026-10).")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the HTML digest here (default: puente-digest-YYYY-MM-LANG.html).",
)
@click.option(
    "--pdf", is_flag=True, help="Also print it to PDF beside the HTML (needs headless Chromium)."
)
@click.option(
    "--email",
    is_flag=True,
    help="E-mail it to analytics.digest_recipients (an rq job when Redis is set).",
)
@click.option(
    "--language",
    type=click.Choice(STAFF_LANGUAGES),
    help="Write it in English or French (default: portal.default_language).",
)
@click.pass_context
def digest(
    ctx: click.Context, month: str, out: Path | None, pdf: bool, email: bool, language: str | None
) -> None:
    """Write the monthly digest: summary, headline figures, trends and tables, small counts suppressed."""
    from bot.analytics import dashboard
    from bot.analytics import digest as digests
    from bot.analytics.jobs import email_digest, send_digest
    from bot.runtime import Runtime, set_current
    from bot.settings import settings_from

    settings = settings_from(ctx)
    language = language or settings.portal.default_language
    try:
        month = dashboard.parse_month(month)
    except dashboard.MonthError as exc:
        raise click.BadParameter(str(exc), param_hint="--month") from None
    if email and not settings.analytics.digest_recipients:
        raise click.ClickException(
            "analytics.digest_recipients is empty: set it in config.yaml to use --email"
        )
    if email and not settings.smtp.host:
        raise click.ClickException("smtp.host is not set: the digest cannot be e-mailed")
    runtime = Runtime.build(settings)
    set_current(runtime)
    with runtime.db.session() as session:
        report = dashboard.build_configured(session, month, settings.analytics, language)
    path = digests.write(report, out or Path(f"puente-digest-{month}-{language}.html"))
    click.echo(
        f"digest for {dashboard.month_name(month)} ({language}) written to {path}"
        + (" (nothing was recorded that month)" if report.empty else "")
    )
    if pdf:
        try:
            click.echo(f"PDF written to {digests.to_pdf(path, path.with_suffix('.pdf'))}")
        except digests.DigestError as exc:
            click.echo(f"no PDF: {exc}", err=True)
    if email:
        if settings.redis_url:
            queued = runtime.enqueue(email_digest, month, language)
            click.echo(
                "e-mail queued for the worker"
                if queued
                else "could not queue the e-mail: Redis is down"
            )
        else:
            click.echo(f"digest e-mailed to {send_digest(runtime, month, language)} recipient(s)")
