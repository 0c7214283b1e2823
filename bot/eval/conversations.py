"""Whole conversations, scored: each scripted worker talks to the bot through the real webhook
pipeline (signature, store, NLU with context, flows, catalogs, paging) and every turn is checked
against its labels.

A conversation file (eval/conversations/*.yaml) is a list of::

    - id: es-wages-bc
      language: es
      turns:
        - say: "cuanto pagan la hora en ontario"
          intent: ask_wages                  # or a list of acceptable intents; omit to skip
          contains: ["$17.95"]               # the reply must hold each (case- and accent-
                                             # insensitive: replies may be sent transliterated)
          lacks: ["911"]                     # and none of these
          facts: [minimum_wage.ON.rate]      # facts the reply must state, by id or dotted path
          no_facts: [crisis-988]             # in flows/facts.yaml, and facts it must not state
          triage: none                       # none (default) | danger (any category) | suicide,
                                             # sexual, confinement, danger, injury: the category
          subset: ordinary                   # optional: ordinary (looks alarming, is not) or
                                             # unsure (vague: nothing destructive may be offered)

A turn is right when its intent (as the NLU read it, in context) and its reply are as labelled.
A turn is triaged when the bot raised an emergency (the safety triage's reply or the emergency
flow), not when a reply merely names 911 (the injury topic does). A false alarm is an ordinary
turn triaged; a destructive offer is an erase or opt-out confirmation, or such a guess among a
clarification's options, that the worker did not ask for. Turns labelled with a category (not
`danger`, which accepts any) are also counted per category; the `subset` turns are counted apart
(false alarms on the ordinary ones, destructive offers on the unsure ones), as issue 20 sets them.
"""

from __future__ import annotations

import secrets
import tempfile
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from bot.errors import ConfigError
from flows.effects import Emergency
from vocab import LANGUAGES
from vocab.parse import Parse

if TYPE_CHECKING:
    from bot.settings import Settings
    from flows import Engine, StepResult, Turn
    from nlu import Interpreter
    from nlu.context import Context as NluContext

#: One conversation as its YAML file writes it (language, turns ...), checked by load_conversations.
Script = dict[str, Any]

TRIAGE_CATEGORIES = ("suicide", "sexual", "confinement", "danger", "injury")
#: The worker's word for the next SMS page, so a paged answer is scored whole.
MORE = {"es": "MAS", "tl": "PA", "en": "MORE"}
DESTRUCTIVE_PROMPTS = {
    "erase.ask.confirm": "delete_data",
    "optout.ask.confirm": "opt_out",
    "intent.delete_data": "delete_data",
    "intent.opt_out": "opt_out",
}
SUBSETS = ("ordinary", "unsure")
EMERGENCY_MSGIDS = ("emergency.message",)


@dataclass(frozen=True)
class TurnResult:
    conversation: str
    language: str
    number: int
    said: str
    expected_intent: tuple[str, ...]
    intent: str
    reply: str
    problems: tuple[str, ...]
    danger: bool
    alarmed: bool
    destructive: bool
    category: str | None = None
    label: str = "none"
    subset: str | None = None

    @property
    def right(self) -> bool:
        return not self.problems


@dataclass
class Scores:
    """Counts per language: turns right, intents right, false alarms, danger turns triaged."""

    turns: int = 0
    right: int = 0
    intents: int = 0
    intents_right: int = 0
    ordinary: int = 0
    false_alarms: int = 0
    danger: int = 0
    triaged: int = 0
    destructive: int = 0
    #: Danger turns per labelled category: [triaged in that category, turns].
    categories: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    #: Turns per triage label (none, danger, suicide...): [right, turns].
    labels: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    #: The ordinary subset: [false alarms, turns]; the unsure subset: [destructive offers, turns].
    subsets: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    failures: list[TurnResult] = field(default_factory=list)

    def add(self, turn: TurnResult) -> None:
        self.turns += 1
        self.right += turn.right
        if turn.expected_intent:
            self.intents += 1
            self.intents_right += turn.intent in turn.expected_intent
        if turn.danger:
            self.danger += 1
            self.triaged += turn.alarmed
            if turn.label != "danger":
                cell = self.categories[turn.label]
                cell[0] += turn.alarmed and turn.category == turn.label
                cell[1] += 1
        else:
            self.ordinary += 1
            self.false_alarms += turn.alarmed
        self.destructive += turn.destructive
        self.labels[turn.label][0] += turn.right
        self.labels[turn.label][1] += 1
        if turn.subset:
            self.subsets[turn.subset][0] += (
                turn.alarmed if turn.subset == "ordinary" else turn.destructive
            )
            self.subsets[turn.subset][1] += 1
        if not turn.right:
            self.failures.append(turn)


def load_conversations(paths: list[Path]) -> list[Script]:
    """Every conversation in the files, checked enough that a typo names its file and turn."""
    conversations = []
    for path in paths:
        try:
            items = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: cannot read conversations: {exc}") from None
        if not isinstance(items, list):
            raise ConfigError(f"{path}: expected a list of conversations")
        for index, item in enumerate(items):
            where = f"{path}: conversation {index + 1}"
            if not isinstance(item, dict) or item.get("language") not in LANGUAGES:
                raise ConfigError(f"{where}: needs language es, tl or en")
            if not isinstance(item.get("turns"), list) or not item["turns"]:
                raise ConfigError(f"{where}: needs turns")
            for number, turn in enumerate(item["turns"], start=1):
                if not isinstance(turn, dict) or not isinstance(turn.get("say"), str):
                    raise ConfigError(f"{where} turn {number}: needs `say`")
                if turn.get("triage", "none") not in ("none", *TRIAGE_CATEGORIES):
                    raise ConfigError(
                        f"{where} turn {number}: triage must be none or one of "
                        f"{', '.join(TRIAGE_CATEGORIES)}"
                    )
                if turn.get("subset") not in (None, *SUBSETS):
                    raise ConfigError(
                        f"{where} turn {number}: subset must be one of {', '.join(SUBSETS)}"
                    )
                for ref in (turn.get("facts") or []) + (turn.get("no_facts") or []):
                    try:
                        fact_text(ref)
                    except KeyError:
                        raise ConfigError(
                            f"{where} turn {number}: no fact {ref!r} in flows/facts.yaml"
                        ) from None
            conversations.append({"id": item.get("id") or f"{path.stem}-{index + 1}", **item})
    return conversations


def fact_text(ref: str) -> str:
    """What a reply stating the fact holds: a dotted path (``offices.BC.phone``) or an entry's
    id (``crisis-988``, ``wc-on``); an entry stands for its phone, else its rate, else its name."""
    from flows.facts import load_facts

    facts = load_facts()

    def text(entry: Any) -> str:
        if isinstance(entry, dict):
            entry = next((entry[k] for k in ("phone", "rate", "name") if entry.get(k)), None)
        if not isinstance(entry, (str, int, float)):
            raise KeyError(ref)
        return str(entry)

    if "." in ref:
        node: Any = facts
        for part in ref.split("."):
            node = node[part] if isinstance(node, dict) else None
            if node is None:
                raise KeyError(ref)
        return text(node)

    def walk(node: Any) -> str | None:
        if isinstance(node, dict):
            if node.get("phone_id") == ref:
                return text(node["phone"])
            if node.get("id") == ref:
                return text(node)
            children: Iterable[Any] = node.values()
        elif isinstance(node, list):
            children = node
        else:
            return None
        return next((found for child in children if (found := walk(child)) is not None), None)

    found = walk(facts)
    if found is None:
        raise KeyError(ref)
    return found


class _Recorder:
    """Keeps what the NLU and the engine made of the last message (the pipeline's own objects).

    Only the evaluating thread's calls are kept: the app's re-drive thread warms the models up
    with a parse of its own, which would otherwise be read as a worker's turn."""

    def __init__(self, interpreter: Interpreter, engine: Engine) -> None:
        self.interpreter, self.engine = interpreter, engine
        self.parses: list[Parse] = []
        self.results: list[StepResult] = []
        self.thread = threading.get_ident()

    def parse(
        self,
        text: str,
        language_hint: str | None = None,
        context: NluContext | dict[str, Any] | None = None,
    ) -> Parse:
        parse = self.interpreter.parse(text, language_hint, context)
        if threading.get_ident() == self.thread:
            self.parses.append(parse)
        return parse

    def step(self, state: Mapping[str, object] | None, turn: Turn) -> StepResult:
        result = self.engine.step(state, turn)
        if threading.get_ident() == self.thread:
            self.results.append(result)
        return result

    def __getattr__(self, name: str) -> Any:  # the engine's other methods (context, flows ...)
        return getattr(self.engine, name)


def run(conversations: list[Script], settings: Settings) -> dict[str, Scores]:
    """Talk each conversation through a fresh app on a temporary SQLite database."""
    from bot import create_app
    from bot.channels.twilio.gateway import INBOUND_WEBHOOK, ConsoleSender
    from bot.runtime import Runtime
    from bot.store import migrate
    from bot.text import catalogs

    scores: dict[str, Scores] = defaultdict(Scores)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/eval.db"
        settings = settings.with_changes(
            database_url=url,
            redis_url=None,
            jobs__inline_sync=True,
            instance_path=folder,
            secret_key=secrets.token_urlsafe(32),
            twilio__auth_token=None,
            twilio__account_sid=None,
        )
        migrate.upgrade(url)
        sender = ConsoleSender(quiet=True)
        runtime = Runtime.build(settings, sender=sender)
        runtime.warm_up()  # loaded now, so the app's own warm-up keeps them (and the recorder)
        recorder = _Recorder(runtime.interpreter, runtime.engine)
        runtime.__dict__["interpreter"] = recorder
        runtime.__dict__["engine"] = recorder
        client = create_app(settings, runtime=runtime).test_client()
        try:
            for index, conversation in enumerate(conversations):
                number = f"+1555{index:07d}"

                def send(text: str, number: str = number) -> str:
                    sent = len(sender.sent)
                    form = {
                        "MessageSid": "SM" + secrets.token_hex(16),
                        "AccountSid": "AC" + "0" * 32,
                        "From": number,
                        "To": "+15550109999",
                        "Body": text,
                        "NumMedia": "0",
                    }
                    response = client.post(INBOUND_WEBHOOK, data=form)
                    if response.status_code != 200:
                        raise ConfigError(
                            f"the webhook answered {response.status_code} during the evaluation"
                        )
                    return "\n".join(m.body or "" for m in sender.sent[sent:] if m.to == number)

                for turn_number, turn in enumerate(conversation["turns"], start=1):
                    parsed, stepped = len(recorder.parses), len(recorder.results)
                    reply = send(turn["say"])
                    parse = recorder.parses[parsed] if len(recorder.parses) > parsed else None
                    result = recorder.results[stepped] if len(recorder.results) > stepped else None
                    more = catalogs.translator(conversation["language"]).gettext("paging.more")
                    for _ in range(5):  # the rest of a paged answer, as the worker would ask for it
                        if more not in reply:
                            break
                        reply += "\n" + send(MORE[conversation["language"]])
                    scores[conversation["language"]].add(
                        _score(conversation, turn_number, turn, reply, parse, result)
                    )
        finally:
            runtime.close()
    return dict(scores)


def _score(
    conversation: Script,
    number: int,
    turn: dict[str, Any],
    reply: str,
    parse: Parse | None,
    result: StepResult | None,
) -> TurnResult:
    expected = turn.get("intent")
    expected_intents = (
        tuple(expected) if isinstance(expected, list) else ((expected,) if expected else ())
    )
    intent = parse.intent if parse is not None else ""
    msgids = result.msgids if result is not None else []
    kinds = result.effect_kinds if result is not None else []
    alarmed = "emergency" in kinds or any(m in msgids for m in EMERGENCY_MSGIDS)
    category = next(
        (
            Emergency.of(e).category
            for e in (result.effects if result is not None else [])
            if e.kind == "emergency" and Emergency.of(e).category
        ),
        None,
    )
    label = turn.get("triage", "none")
    danger = label != "none"
    asked_for = DESTRUCTIVE_PROMPTS
    offered = msgids + [
        o.msgid for r in (result.replies if result is not None else []) for o in r.options
    ]
    destructive = any(m in asked_for and asked_for[m] not in expected_intents for m in offered)
    problems = []
    if expected_intents and intent not in expected_intents:
        problems.append(f"intent {intent} (expected {'/'.join(expected_intents)})")
    folded = _folded(reply)
    problems += [
        f"reply lacks {s!r}" for s in turn.get("contains") or [] if _folded(s) not in folded
    ]
    problems += [f"reply has {s!r}" for s in turn.get("lacks") or [] if _folded(s) in folded]
    problems += [
        f"reply lacks fact {f}"
        for f in turn.get("facts") or []
        if _folded(fact_text(f)) not in folded
    ]
    problems += [
        f"reply has fact {f}" for f in turn.get("no_facts") or [] if _folded(fact_text(f)) in folded
    ]
    if danger and not alarmed:
        problems.append("danger not triaged")
    elif alarmed and label not in ("none", "danger") and category != label:
        problems.append(f"triaged {category} (expected {label})")
    if alarmed and not danger:
        problems.append("false alarm")
    if destructive:
        problems.append("destructive offer")
    return TurnResult(
        conversation["id"],
        conversation["language"],
        number,
        turn["say"],
        expected_intents,
        intent,
        reply,
        tuple(problems),
        danger,
        alarmed,
        destructive,
        category,
        label,
        turn.get("subset"),
    )


def report(scores: dict[str, Scores], show_failures: int = 20) -> str:
    """The figures per language and per triage label, the subsets, the causes of failure, then
    the first failures."""
    lines = [
        f"{'lang':5} {'turns':>5} {'right':>7} {'intent':>7} {'false alarms':>13} "
        f"{'danger triaged':>15} {'destructive':>11}"
    ]
    total = Scores()
    for language in sorted(scores):
        s = scores[language]
        lines.append(_row(language, s))
        for name in (
            "turns",
            "right",
            "intents",
            "intents_right",
            "ordinary",
            "false_alarms",
            "danger",
            "triaged",
            "destructive",
        ):
            setattr(total, name, getattr(total, name) + getattr(s, name))
        total.failures += s.failures
        for mine, theirs in (
            (total.categories, s.categories),
            (total.labels, s.labels),
            (total.subsets, s.subsets),
        ):
            for key, (part, count) in theirs.items():
                mine[key][0] += part
                mine[key][1] += count
    lines.append(_row("all", total))
    if total.categories:
        lines.append(
            "danger turns triaged in their category: "
            + ", ".join(
                f"{label} {right}/{count}"
                for label, (right, count) in sorted(total.categories.items())
            )
        )
    lines.append("\nturns right per triage label:")
    lines.append(
        f"  {'label':11}" + "".join(f"{language:>9}" for language in (*sorted(scores), "all"))
    )
    order = ("none", "danger", *[c for c in TRIAGE_CATEGORIES if c != "danger"])
    for label in (lb for lb in order if lb in total.labels):
        cells = [scores[language].labels.get(label, [0, 0]) for language in sorted(scores)]
        lines.append(
            f"  {label:11}" + "".join(f"{f'{r}/{c}':>9}" for r, c in (*cells, total.labels[label]))
        )
    if "ordinary" in total.subsets:
        lines.append(
            "false emergencies on the ordinary subset: {}/{}".format(*total.subsets["ordinary"])
        )
    if "unsure" in total.subsets:
        lines.append(
            "destructive offers on unsure messages: {}/{}".format(*total.subsets["unsure"])
        )
    causes: dict[str, int] = defaultdict(int)
    for turn in total.failures:
        for problem in turn.problems:
            causes[_cause(problem)] += 1
    if causes:
        lines.append(
            "causes of failure: "
            + ", ".join(
                f"{cause} {count}" for cause, count in sorted(causes.items(), key=lambda c: -c[1])
            )
        )
    shown = total.failures[:show_failures]
    if shown:
        lines.append(f"\nfailures ({len(total.failures)}; first {len(shown)}):")
    for turn in shown:
        reply = " ".join(turn.reply.split())[:160]
        lines.append(
            f"- {turn.conversation} turn {turn.number} {turn.said!r}: {'; '.join(turn.problems)}\n"
            f"    bot: {reply}"
        )
    return "\n".join(lines)


def _cause(problem: str) -> str:
    """A problem's kind, for the summary: "reply lacks '$17.95'" -> "reply lacks"."""
    for kind in (
        "intent",
        "reply lacks fact",
        "reply has fact",
        "reply lacks",
        "reply has",
        "triaged",
        "danger not triaged",
        "false alarm",
        "destructive offer",
    ):
        if problem.startswith(kind):
            return kind
    return problem


def _row(name: str, s: Scores) -> str:
    def pct(part: int, whole: int) -> str:
        return f"{100 * part / whole:.1f}%" if whole else "-"

    return (
        f"{name:5} {s.turns:>5} {pct(s.right, s.turns):>7} {pct(s.intents_right, s.intents):>7} "
        f"{f'{s.false_alarms}/{s.ordinary}':>13} {f'{s.triaged}/{s.danger}':>15} {s.destructive:>11}"
    )


def _folded(text: str) -> str:
    """``text`` compared without case or accents: "5 días" matches a reply sent as "5 dias"
    (the SMS gateway may transliterate to GSM-7)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
