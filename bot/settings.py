"""One validated, frozen Settings object built at start from config.yaml and the environment.

Every key has its default and a comment in config.yaml; environment variables override it, either by
their conventional names (DATABASE_URL, TWILIO_AUTH_TOKEN, ...) or as PUENTE__SECTION__KEY. A wrong key
or value stops the process with a message naming it.
"""

from __future__ import annotations

import difflib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import click
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.errors import ConfigError
from bot.resources import DEFAULT_CONFIG
from vocab import (
    INTENT_THRESHOLDS,
    INTENTS,
    LANGUAGES,
    NEVER_OFFERED,
    Channel,
    Language,
    StaffLanguage,
)

#: Conventional environment variables and the setting each one overrides.
ENV_KEYS: dict[str, str] = {
    "DATABASE_URL": "database_url",
    "REDIS_URL": "redis_url",
    "PUENTE_SECRET_KEY": "secret_key",
    "PUENTE_MASTER_KEY_FILE": "master_key_file",
    "PUBLIC_BASE_URL": "public_base_url",
    "PORT": "port",
    "PUENTE_ENV": "env",
    "TWILIO_ACCOUNT_SID": "twilio.account_sid",
    "TWILIO_AUTH_TOKEN": "twilio.auth_token",
    "TWILIO_API_BASE_URL": "twilio.api_base_url",
}


#: Where Twilio's API redirects a media download (its CDN, in S3).
MEDIA_HOSTS = ("media.twiliocdn.com", "s3-external-1.amazonaws.com")


def _seconds(*values: float) -> list[float]:
    """A default list of delays, typed as the setting holds them (given as whole seconds)."""
    return list(values)


def _channels(*names: Channel) -> list[Channel]:
    return list(names)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TwilioSettings(Section):
    account_sid: str | None = None
    auth_token: str | None = None
    api_base_url: str | None = None
    validate_signatures: bool = True
    status_callbacks: bool = True
    timeout_seconds: float = Field(10.0, gt=0)
    whatsapp_templates: dict[str, str] = Field(default_factory=dict)
    delete_after_handling: bool = True
    delete_wait_seconds: float = Field(60.0, ge=0)
    media_fetch_seconds: float = Field(60.0, gt=0)
    media_hosts: list[str] = Field(default_factory=lambda: list(MEDIA_HOSTS))

    @property
    def configured(self) -> bool:
        return bool(self.account_sid and self.auth_token)


#: A Twilio Content SID (Content API templates are "HX" and 32 hex digits).
CONTENT_SID = r"^HX[0-9a-fA-F]{32}$"
#: What a Content template can be configured for: a yes/no question, the province question, or a
#: flow's step that asks a choice, named "<flow>.<step>" (e.g. "menu.main", "next_steps.choose").
CHOICE_NAME = r"^(yesno|province|[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)$"


class WhatsappSettings(Section):
    """WhatsApp's tappable answers: a question whose Content template is configured goes as a list
    or quick-reply buttons (docs/operations.md); any other, and every SMS, as numbered text."""

    content_templates: dict[
        Annotated[str, Field(pattern=CHOICE_NAME)], Annotated[str, Field(pattern=CONTENT_SID)]
    ] = Field(default_factory=dict)


class JobSettings(Section):
    queue_name: str = "puente"
    send_max_attempts: int = Field(5, ge=1)
    send_backoff_seconds: list[float] = Field(
        default_factory=lambda: _seconds(5, 15, 30), min_length=1
    )
    circuit_failures: int = Field(5, ge=1)
    circuit_probe_seconds: list[float] = Field(
        default_factory=lambda: _seconds(1, 2, 4, 5), min_length=1
    )
    redrive_after_seconds: float = Field(60, gt=0)
    redrive_interval_seconds: float = Field(30, gt=0)
    send_lease_seconds: float = Field(120, gt=0)
    worker_nice: int = Field(0, ge=0, le=19)
    inline_sync: bool = False


class MessageSettings(Section):
    max_request_bytes: int = Field(64 * 1024, ge=1024)
    max_body_chars: int = Field(5000, ge=160)
    retention_days: int = Field(30, ge=1)
    flood_limit_per_minute: int = Field(60, ge=1)
    flood_pause_seconds: float = Field(60, ge=0)


class SmsSettings(Section):
    segment_budget: int = Field(3, ge=1, le=10)
    question_segments: int = Field(2, ge=1, le=10)
    messages_per_turn: int = Field(3, ge=1, le=10)
    transliterate: bool = True


class ConversationSettings(Section):
    languages: list[Language] = Field(default_factory=lambda: list(LANGUAGES))
    default_language: Language = "es"
    session_timeout_minutes: int = Field(60, ge=1)
    province_list_channels: list[Channel] = Field(default_factory=lambda: _channels("whatsapp"))


class NluSettings(Section):
    backend: Literal["embedded", "rasa"] = "embedded"
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout_seconds: float = Field(2.0, gt=0)
    confidence_threshold: float | None = Field(None, ge=0, le=1)
    review_queue: bool = True
    review_below: float = Field(0.35, ge=0, le=1)
    review_retention_days: int = Field(7, ge=1)
    intent_thresholds: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=lambda: dict(INTENT_THRESHOLDS)
    )
    never_offered: list[str] = Field(default_factory=lambda: list(NEVER_OFFERED))
    model_cache_dir: str | None = None

    def cache_dir(self, instance_path: str) -> Path:
        """Where trained models are kept (nlu.model_cache): this folder, else instance/models."""
        return Path(self.model_cache_dir or Path(instance_path) / "models").absolute()

    @field_validator("intent_thresholds", "never_offered")
    @classmethod
    def _known_intents(cls, value: Any) -> Any:
        unknown = sorted(set(value) - set(INTENTS))
        if unknown:
            raise ValueError(f"unknown intent(s) {', '.join(unknown)}; known: {', '.join(INTENTS)}")
        return value


class PortalSettings(Section):
    """The NGO staff portal: sessions, login throttling, the relay to workers."""

    idle_timeout_minutes: int = Field(30, ge=1)
    session_max_hours: int = Field(12, ge=1)
    trusted_proxies: int = Field(0, ge=0, le=5)
    login_free_failures: int = Field(3, ge=1)
    login_account_free_failures: int = Field(10, ge=1)
    login_delay_seconds: int = Field(2, ge=1)
    login_delay_max_seconds: int = Field(120, ge=1)
    login_notify_after: int = Field(5, ge=1)
    invite_valid_hours: int = Field(72, ge=1)
    reset_valid_hours: int = Field(2, ge=1)
    ip_max_failures: int = Field(20, ge=1)
    ip_window_minutes: int = Field(15, ge=1)
    totp_issuer: str = "Puente"
    admin_totp_required: bool = True
    notify_email: bool = True
    default_language: StaffLanguage = "en"
    timezone: str = "America/Toronto"


class ReportSettings(Section):
    """Anonymous reports: evidence storage, case-code guessing limits, repeat-employer alerts."""

    store_media: bool = True
    max_media_bytes: int = Field(5 * 1024 * 1024, ge=1024)
    max_media_items: int = Field(5, ge=0)
    code_attempts_per_hour: int = Field(5, ge=1)
    code_attempts_per_hour_global: int = Field(200, ge=1)
    alert_k: int = Field(3, ge=2)
    alert_window_days: int = Field(90, ge=1)
    erase_closed_after_days: int = Field(365, ge=1)
    erase_after_days: int = Field(730, ge=1)


class SmtpSettings(Section):
    """The mail server for NGO referrals and administrators' alerts (unset host: no e-mail)."""

    host: str | None = None
    port: int = Field(587, ge=1, le=65535)
    user: str | None = None
    password: str | None = None
    from_address: str = "puente@localhost"
    starttls: bool = True
    implicit_tls: bool = False
    ca_file: str | None = None
    timeout_seconds: float = Field(10.0, gt=0)


class RoutingSettings(Section):
    """Referrals to NGOs: delivery retries, acknowledgement deadline, administrators' alerts."""

    ack_timeout_hours: float = Field(24, gt=0)
    delivery_max_attempts: int = Field(6, ge=1)
    delivery_backoff_seconds: list[float] = Field(
        default_factory=lambda: _seconds(30, 120, 600, 1800, 3600)
    )
    webhook_timeout_seconds: float = Field(10.0, gt=0)
    sms_from: str | None = None
    max_escalations: int = Field(3, ge=0)
    admin_alert_emails: list[str] = Field(default_factory=list)
    seed_directory: str | None = "bot/directory/seed_directory.yaml"


class MetricsSettings(Section):
    """/metrics for Prometheus."""

    token: str | None = None


class AnalyticsSettings(Section):
    """Program indicators for administrators: small-cell suppression and the monthly digest."""

    small_cell_threshold: int = Field(5, ge=2)
    digest_recipients: list[str] = Field(default_factory=list)
    trend_months: int = Field(12, ge=1, le=36)


class Settings(Section):
    env: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///instance/puente.db"
    redis_url: str | None = None
    secret_key: str | None = None
    master_key_file: str | None = None
    public_base_url: str | None = None
    port: int = Field(5000, ge=1, le=65535)
    instance_path: str = "instance"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_file: str | None = None
    twilio: TwilioSettings = TwilioSettings()
    whatsapp: WhatsappSettings = WhatsappSettings()
    jobs: JobSettings = JobSettings()
    messages: MessageSettings = MessageSettings()
    sms: SmsSettings = SmsSettings()
    conversation: ConversationSettings = ConversationSettings()
    nlu: NluSettings = NluSettings()
    portal: PortalSettings = PortalSettings()
    reports: ReportSettings = ReportSettings()
    routing: RoutingSettings = RoutingSettings()
    smtp: SmtpSettings = SmtpSettings()
    analytics: AnalyticsSettings = AnalyticsSettings()
    metrics: MetricsSettings = MetricsSettings()

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 32:
            raise ValueError(
                "must be at least 32 characters (generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return value

    @field_validator("public_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    def with_changes(self, **changes: Any) -> Settings:
        """A copy with some keys replaced (dotted keys reach into sections), validated again."""
        data = self.model_dump()
        for dotted, value in changes.items():
            _set_dotted(data, dotted.replace("__", "."), value)
        return _validate(data, "overrides")


def load_settings(
    path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Read config.yaml (or PUENTE_CONFIG / path), apply environment and keyword overrides, validate."""
    environ = os.environ if environ is None else environ
    path = Path(path or environ.get("PUENTE_CONFIG") or DEFAULT_CONFIG)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path} not found (set PUENTE_CONFIG to the right file)"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping of keys at the top level")
    for var, dotted in ENV_KEYS.items():
        if environ.get(var):
            _set_dotted(data, dotted, environ[var])
    for var, value in environ.items():
        if var.startswith("PUENTE__"):
            dotted = var[len("PUENTE__") :].lower().replace("__", ".")
            _set_dotted(data, dotted, yaml.safe_load(value))
    for dotted, value in overrides.items():
        _set_dotted(data, dotted.replace("__", "."), value)
    settings = _validate(data, str(path))
    return _resolve_paths(settings)


def ensure_secret_key(settings: Settings, *, generate: bool = False) -> Settings:
    """The secret key: PUENTE_SECRET_KEY, else (development) the one kept in the instance folder.

    Only ``generate`` (`puente run` and `puente chat`, a developer's first start) creates that file:
    any other command or process started without the key stops, rather than silently making a
    new one that cannot read what the old one encrypted."""
    if settings.secret_key:
        return settings
    if settings.env == "production":
        raise ConfigError(
            "secret_key is not set: production needs PUENTE_SECRET_KEY (at least 32 characters); "
            "keep it safe, it protects every stored phone number"
        )
    key_file = Path(settings.instance_path) / "secret_key"
    if not key_file.exists():
        if not generate:
            raise ConfigError(
                f"secret_key is not set and {key_file} does not exist: set PUENTE_SECRET_KEY to the "
                "key this deployment uses (or start once with `puente run` in development, which "
                "creates that file)"
            )
        private_dir(key_file.parent)
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_urlsafe(48))
    return settings.with_changes(secret_key=key_file.read_text().strip())


def private_dir(path: Path) -> None:
    """A folder only this user can enter (the instance folder: keys, the SQLite database)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)


def production_problems(settings: Settings) -> list[str]:
    """What makes these settings unsafe to serve in production, each naming its setting."""
    problems = []
    twilio = settings.twilio
    if not twilio.configured:
        problems.append(
            "twilio.account_sid and twilio.auth_token (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN) "
            "are not set: production sends through Twilio and checks its signatures with them"
        )
    if not twilio.validate_signatures:
        problems.append(
            "twilio.validate_signatures is off: anyone could post forged messages; turn it on"
        )
    if not https_or_local(settings.public_base_url):
        problems.append(
            f"public_base_url (PUBLIC_BASE_URL) must be the https:// address Twilio calls "
            f"(got {settings.public_base_url!r})"
        )
    if twilio.api_base_url and not https_or_local(twilio.api_base_url):
        problems.append(
            "twilio.api_base_url (TWILIO_API_BASE_URL) must be https:// (or unset for Twilio)"
        )
    return problems


def https_or_local(url: str | None) -> bool:
    """https, or plain http to this machine only (a local test stack Twilio cannot reach anyway)."""
    if not url:
        return False
    parts = urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK)


LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def check_production(settings: Settings) -> None:
    """Refuse to serve production settings that fail open (ConfigError listing every problem)."""
    if settings.env == "production" and (problems := production_problems(settings)):
        raise ConfigError("refusing to start in production:\n  " + "\n  ".join(problems))


def _resolve_paths(settings: Settings) -> Settings:
    """Relative instance paths and SQLite files are taken from the working directory (the installed
    package is no place for data), made absolute once so that a later chdir cannot move them."""
    instance = Path(settings.instance_path).absolute()
    changes: dict[str, Any] = {
        "instance_path": str(instance),
        "master_key_file": str(
            Path(settings.master_key_file or instance / "master_keys").absolute()
        ),
    }
    url = settings.database_url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////") and ":memory:" not in url:
        db_file = Path(url[len("sqlite:///") :]).absolute()
        private_dir(db_file.parent)
        changes["database_url"] = f"sqlite:///{db_file}"
    return settings.with_changes(**changes)


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = data
    for key in parents:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[leaf] = value


def _validate(data: dict[str, Any], source: str) -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from None


def _describe(exc: ValidationError, source: str) -> str:
    lines = [f"invalid configuration in {source}:"]
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            lines.append(f"  {key}: unknown key{_suggest(error['loc'])}")
        else:
            lines.append(f"  {key}: {error['msg']} (got {error.get('input')!r})")
    return "\n".join(lines)


def _suggest(loc: tuple[int | str, ...]) -> str:
    model: type[BaseModel] = Settings
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return ""
        model = annotation
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def settings_from(ctx: click.Context, **overrides: Any) -> Settings:
    """The settings of a `puente` command: config.yaml, or the file given with --config."""
    try:
        return load_settings((ctx.find_root().obj or {}).get("config"), **overrides)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
