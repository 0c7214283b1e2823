"""The words workers read: gettext catalogs from locales/, one locale-bound Translator per language.

Catalogs load from the ``.po`` files with Babel when first needed (a clean checkout needs no compile
step); a compiled ``.mo`` is used instead when it is at least as new as its ``.po``. Message ids are
dotted keys (``topic.wages.answer``) and the ``en`` catalog holds the English text.

``Translator.gettext(msgid, **params)`` fills ``{name}`` placeholders. A parameter may be a tagged
value: ``{"msgid": ..., "params": ...}`` is another message rendered in the same language,
``{"money": "17.95"}`` and ``{"date": "2026-10-01"}`` are formatted per locale ("$17.95",
"1 de octubre de 2026"). ``Translator.render(msgid, params, formats)``, the one way a flow reply
becomes text, tags the parameters its ``formats`` mark (money, date, province, language, msgid;
any other, such as number, leaves the value as written). A message missing from a language falls
back to English; strict mode (tests) raises instead.

The NGO portal uses its own ``portal`` domain in ``en``/``fr``: ``load_catalogs(domain="portal",
languages=("en", "fr"))``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from babel import Locale
from babel.dates import format_date as _babel_format_date
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from bot.errors import PuenteError
from bot.resources import LOCALES_DIR
from vocab import LANGUAGES, PROVINCES, STAFF_LANGUAGES

log = logging.getLogger(__name__)

DOMAIN = "messages"
FALLBACK = "en"

#: Babel locale used to format numbers and dates for each catalog language.
BABEL_LOCALES: dict[str, str] = {"es": "es_419", "tl": "fil", "en": "en_CA", "fr": "fr_CA"}

_PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})")


class TranslationError(PuenteError):
    """A message id or one of its placeholders is missing; names the id, the language and the key."""


def canonical_msgid(msgid: str) -> str:
    """Province names are ``province.XX`` with the upper-case code, whatever case a caller used."""
    if len(msgid) == 11 and msgid[:9].lower() == "province.":
        return "province." + msgid[9:].upper()
    return msgid


def placeholders(text: str) -> set[str]:
    """The ``{name}`` placeholders used in ``text``."""
    return set(_PLACEHOLDER.findall(text))


def _babel_locale(lang: str) -> Locale:
    return Locale.parse(BABEL_LOCALES.get(lang, lang))


def format_money(amount: Decimal | str | float, lang: str) -> str:
    """Canadian dollars as workers read them in ``lang``: ``$17.95``.

    The ``$`` sign is used in every language on purpose: Spanish CLDR locales spell CAD as
    "CAD17.95", which workers paid in Canada do not see on their pay stubs.
    """
    number = format_decimal(Decimal(str(amount)), format="#,##0.00", locale=_babel_locale(lang))
    return f"${number}"


def format_date(value: dt.date | str, lang: str) -> str:
    """A date spelled out in ``lang`` (e.g. "1 de octubre de 2026"), unambiguous unlike 01/10."""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return _babel_format_date(value, format="long", locale=_babel_locale(lang))


def _read_catalog(directory: Path, lang: str, domain: str) -> Catalog | None:
    base = directory / lang / "LC_MESSAGES" / domain
    po, mo = base.with_suffix(".po"), base.with_suffix(".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with open(mo, "rb") as fh:
            return read_mo(fh)
    if po.exists():
        with open(po, "rb") as fh:
            return read_po(fh, locale=None, domain=domain)
    return None


@dataclass(frozen=True)
class Catalogs:
    """The messages of one gettext domain, per language: ``{lang: {msgid: text}}``."""

    domain: str
    messages: Mapping[str, Mapping[str, str]]
    fallback: str = FALLBACK
    comments: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def languages(self) -> tuple[str, ...]:
        return tuple(self.messages)

    def text(self, lang: str, msgid: str) -> str | None:
        """The non-empty translation of ``msgid`` in ``lang``, or None."""
        return self.messages.get(lang, {}).get(canonical_msgid(msgid)) or None

    def msgids(self) -> set[str]:
        return {m for texts in self.messages.values() for m in texts}


def load_catalogs(
    directory: str | Path | None = None,
    domain: str = DOMAIN,
    languages: Iterable[str] = LANGUAGES,
) -> Catalogs:
    """Read every language's catalog for ``domain``; a missing file is an error an operator can fix."""
    directory = Path(directory) if directory else LOCALES_DIR
    messages: dict[str, dict[str, str]] = {}
    comments: dict[str, tuple[str, ...]] = {}
    for lang in languages:
        catalog = _read_catalog(directory, lang, domain)
        if catalog is None:
            raise TranslationError(f"no catalog for {lang!r} in {directory} (domain {domain!r})")
        texts = {}
        for message in catalog:
            if not message.id or not isinstance(message.id, str):
                continue
            if isinstance(message.string, str) and message.string and not message.fuzzy:
                texts[message.id] = message.string
            if message.auto_comments and message.id not in comments:
                comments[message.id] = tuple(message.auto_comments)
        messages[lang] = texts
    fallback = FALLBACK if FALLBACK in messages else next(iter(messages))
    return Catalogs(domain=domain, messages=messages, fallback=fallback, comments=comments)


@dataclass(frozen=True)
class Translator:
    """Messages of one language, with locale-aware formatting of their parameters."""

    lang: str
    catalogs: Catalogs
    strict: bool = False

    def text(self, msgid: str) -> str:
        """The raw catalog text of ``msgid`` (English if this language lacks it, unless strict)."""
        text = self.catalogs.text(self.lang, msgid)
        if text is not None:
            return text
        if self.strict:
            raise TranslationError(f"message {msgid!r} has no {self.lang!r} translation")
        text = self.catalogs.text(self.catalogs.fallback, msgid)
        if text is None:
            raise TranslationError(f"unknown message id {msgid!r}")
        log.warning(
            "message %s has no %s translation; using %s", msgid, self.lang, self.catalogs.fallback
        )
        return text

    def has(self, msgid: str) -> bool:
        return self.catalogs.text(self.lang, msgid) is not None

    def gettext(self, msgid: str, **params: Any) -> str:
        """``msgid`` in this language with its placeholders filled from ``params``."""
        text = self.text(msgid)
        if not placeholders(text):
            return text

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in params:
                raise TranslationError(f"message {msgid!r} ({self.lang}) needs parameter {name!r}")
            if params[name] is None and self.strict:
                raise TranslationError(
                    f"message {msgid!r} ({self.lang}): parameter {name!r} is None"
                )
            return self.render_value(params[name])

        return _PLACEHOLDER.sub(fill, text)

    __call__ = gettext

    def render(
        self,
        msgid: str,
        params: Mapping[str, Any] | None = None,
        formats: Mapping[str, str] | None = None,
    ) -> str:
        """A flow reply as the worker reads it: ``params`` marked by ``formats`` localized (tagged)."""
        return self.gettext(msgid, **tagged(params or {}, formats or {}))

    def render_value(self, value: Any) -> str:
        """A parameter as text: tagged values localized, Decimal as money, dates spelled out.

        Tagged values: ``{"msgid": m, "params": {...}}`` (another message, same language),
        ``{"money": "17.95"}``, ``{"date": "2026-10-01"}``; a list shows its items with commas.
        """
        if isinstance(value, list | tuple):
            return ", ".join(self.render_value(item) for item in value)
        if isinstance(value, Mapping):
            if "msgid" in value:
                return self.gettext(str(value["msgid"]), **dict(value.get("params") or {}))
            if "money" in value:
                return format_money(value["money"], self.lang)
            if "date" in value:
                return format_date(value["date"], self.lang)
        if isinstance(value, Decimal):
            return format_money(value, self.lang)
        if isinstance(value, dt.date):
            return format_date(value, self.lang)
        return "" if value is None else str(value)


def tagged(params: Mapping[str, Any], formats: Mapping[str, str]) -> dict[str, Any]:
    """A flow reply's parameters with those ``formats`` marks as tagged values for the translator
    (``{"money": ...}``, ``{"date": ...}``, ``{"msgid": ...}``); a missing value stays as it is."""
    out = dict(params)
    for name, kind in formats.items():
        if name not in out or out[name] is None:
            continue
        value = out[name]
        if kind in ("money", "date"):
            out[name] = value if isinstance(value, dict) else {kind: value}
        elif kind == "msgid":
            out[name] = value if isinstance(value, dict) else {"msgid": value}
        elif kind in ("province", "language"):
            out[name] = {"msgid": f"{kind}.{value}".lower()} if isinstance(value, str) else value
    return out


_loaded: dict[str, Catalogs] = {}


def load(
    directory: str | Path | None = None, domain: str = DOMAIN, languages: Iterable[str] = LANGUAGES
) -> Catalogs:
    """Load (or reload) a domain's catalogs for the process; call once at start."""
    catalogs = load_catalogs(directory, domain, languages)
    _loaded[domain] = catalogs
    return catalogs


def _catalogs(domain: str) -> Catalogs:
    if domain not in _loaded:
        load(domain=domain, languages=LANGUAGES if domain == DOMAIN else STAFF_LANGUAGES)
    return _loaded[domain]


def languages(domain: str = DOMAIN) -> tuple[str, ...]:
    """The languages a domain has catalogs for (workers: es, tl, en)."""
    return _catalogs(domain).languages()


def translator(lang: str | None, *, domain: str = DOMAIN, strict: bool | None = None) -> Translator:
    """A Translator for ``lang``; an unknown or missing language falls back to English.

    ``strict`` defaults to the environment: PUENTE_I18N_STRICT=1 (set by the test suite) makes a
    missing translation or an empty placeholder raise instead of falling back.
    """
    catalogs = _catalogs(domain)
    if lang is None or lang not in catalogs.messages:
        lang = catalogs.fallback
    if strict is None:
        strict = os.environ.get("PUENTE_I18N_STRICT") == "1"
    return Translator(lang=lang, catalogs=catalogs, strict=strict)


# --- pybabel extraction (referenced from babel.cfg) ---------------------------------------------

MSGID_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-zA-Z0-9_]+)+$")

#: Keys under which flows YAML names a message id (flows/README.md); by_province choices are
#: keyed by province code or ``default``.
FLOW_MESSAGE_KEYS = frozenset({"title", "say", "msgid", "prompt", "reprompt", "label", "default"})
PROVINCE_KEYS = frozenset(PROVINCES)

#: Calls whose first argument is a message id, and keyword arguments that hold one, in code.
CODE_MESSAGE_CALLS = frozenset({"Reply", "ReplyOption", "gettext", "_", "say"})
CODE_MESSAGE_KEYWORDS = frozenset({"msgid", "label", "title", "prompt"})

#: What a Babel extractor yields: (line number, function name, message id, comments).
Extracted = tuple[int, None, str, list[str]]


def _yaml_msgids(node: Any, key: str | None = None) -> Iterator[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _yaml_msgids(v, str(k))
    elif isinstance(node, list):
        for item in node:
            yield from _yaml_msgids(item, key)
    elif (
        isinstance(node, str)
        and (key in FLOW_MESSAGE_KEYS or key in PROVINCE_KEYS)
        and MSGID_RE.match(node)
    ):
        yield node


def _with_lines(
    source: str,
    msgids: Iterable[str],
    comments: Mapping[str, list[str]] | None = None,
) -> Iterator[Extracted]:
    """(lineno, None, msgid, comments) for Babel, each at the first line that names it."""
    found = dict.fromkeys(msgids)
    lines = source.splitlines()
    for msgid in found:
        pattern = re.compile(rf"(?<![\w.]){re.escape(msgid)}(?![\w.])")
        lineno = next((n for n, line in enumerate(lines, 1) if pattern.search(line)), 0)
        yield lineno, None, msgid, list((comments or {}).get(msgid, ()))


def extract_flows_yaml(
    fileobj: IO[bytes], keywords: object, comment_tags: object, options: Mapping[str, str]
) -> Iterator[Extracted]:
    """Babel extractor for flows/*.yaml: every message id a flow names."""
    import yaml

    source = fileobj.read().decode(options.get("encoding", "utf-8"))
    yield from _with_lines(source, _yaml_msgids(yaml.safe_load(source)))


def extract_sources(
    fileobj: IO[bytes], keywords: object, comment_tags: object, options: Mapping[str, str]
) -> Iterator[Extracted]:
    """Babel extractor for locales/sources.yaml: translator notes and fact citations per msgid.

    Messages only assembled at run time (``province.XX``) are declared there too.
    """
    import yaml

    source = fileobj.read().decode(options.get("encoding", "utf-8"))
    data = yaml.safe_load(source) or {}
    facts = data.get("facts") or {}
    comments: dict[str, list[str]] = {}
    for msgid, entry in (data.get("messages") or {}).items():
        entry = entry or {}
        notes = [entry["note"]] if entry.get("note") else []
        # One token per citation ("fact:<id>=<url>"): a .po wrapper never splits it, so two facts
        # sharing a source never leave two identical comment lines (which gettext tools merge).
        notes += [f"fact:{fact}={facts.get(fact, '?')}" for fact in entry.get("facts") or ()]
        comments[msgid] = notes
    yield from _with_lines(source, comments, comments)


def extract_python_msgids(
    fileobj: IO[bytes], keywords: object, comment_tags: object, options: Mapping[str, str]
) -> Iterator[Extracted]:
    """Babel extractor for code: literal message ids given to Reply(...)/gettext(...), to
    msgid=/label= keyword arguments, or as defaults of parameters named ``*label``/``*msgid``."""
    import ast

    source = fileobj.read().decode(options.get("encoding", "utf-8"))
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return

    def literal(node: ast.AST) -> str | None:
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and MSGID_RE.match(node.value)
        ):
            return node.value
        return None

    for node in ast.walk(tree):
        found: list[tuple[int, str | None]] = []
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in CODE_MESSAGE_CALLS and node.args:
                found.append((node.lineno, literal(node.args[0])))
            found += [
                (node.lineno, literal(k.value))
                for k in node.keywords
                if k.arg in CODE_MESSAGE_KEYWORDS
            ]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args.args + node.args.kwonlyargs
            defaults = [None] * (len(node.args.args) - len(node.args.defaults)) + list(
                node.args.defaults
            )
            defaults += list(node.args.kw_defaults)
            for arg, default in zip(args, defaults, strict=True):
                if default is not None and arg.arg.endswith(("label", "msgid")):
                    found.append((node.lineno, literal(default)))
        for lineno, msgid in found:
            if msgid:
                yield lineno, None, msgid, []
