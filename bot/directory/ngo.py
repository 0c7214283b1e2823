"""An organization in the NGO directory, as matching and delivery see it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.directory.hours import OfficeHours
from bot.directory.vocabulary import NATIONAL

ENV_PREFIX = "env:"
#: The suffix of a delivery channel that carries the case's details (after acknowledgement).
DETAILS = ":details"


@dataclass(frozen=True)
class Contacts:
    """How a referral reaches an organization. ``webhook_secret`` may be ``env:VAR_NAME``;
    ``pgp_key`` (an ASCII-armored OpenPGP public key) lets e-mail carry a case's details."""

    email: str | None = None
    sms: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    pgp_key: str | None = field(default=None, repr=False)

    @property
    def details_channels(self) -> tuple[str, ...]:
        """Where a case's details go once the organization acknowledged it (else: the portal)."""
        present = {"webhook": self.webhook_url, "email": self.email and self.pgp_key}
        return tuple(f"{name}{DETAILS}" for name, value in present.items() if value)

    @property
    def channels(self) -> tuple[str, ...]:
        """The configured channels, in delivery preference order (webhook, email, sms)."""
        present = {"webhook": self.webhook_url, "email": self.email, "sms": self.sms}
        return tuple(name for name, value in present.items() if value)

    def resolve_secret(self, environ: Mapping[str, str]) -> str | None:
        """The webhook secret itself, reading ``env:VAR_NAME`` from ``environ`` (e.g. os.environ)."""
        secret = self.webhook_secret
        if secret is None or not secret.startswith(ENV_PREFIX):
            return secret
        name = secret[len(ENV_PREFIX) :]
        if not environ.get(name):
            raise KeyError(f"the webhook secret's environment variable {name} is not set")
        return environ[name]


@dataclass(frozen=True)
class Ngo:
    """One organization that can receive referrals (or, if national, the fallback for everyone)."""

    id: str
    name: str
    provinces: tuple[str, ...]
    capacity: int
    towns: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()  # empty: works with every sector
    services: tuple[str, ...] = ()
    contacts: Contacts = Contacts()
    office_hours: OfficeHours | None = None
    active: bool = True
    example_contacts: bool = False  # contact channels are placeholders: never deliver to them
    area: str = ""
    source: str = ""
    note: str = ""

    @property
    def national(self) -> bool:
        return NATIONAL in self.provinces

    def serves(self, province: str) -> bool:
        """Serves this province directly (the national fallback does not count)."""
        return province in self.provinces
