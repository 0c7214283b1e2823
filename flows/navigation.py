"""Moving through flows within one turn: start, enter steps, ask, finish, the stack, parking.

`Navigator` holds the turn's mutable state and collects replies and effects; `turn.Handler`
builds on it to decide what a message means.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

from vocab import LANGUAGES

from . import problems, story
from . import state as states
from .answers import TEXT_LIMIT, step_options
from .model import SPECIAL_TARGETS, EffectSpec, Flow, Message, Option, Param, Step
from .parse import Parse
from .types import Effect, Reply, ReplyOption, Turn

if TYPE_CHECKING:
    from .engine import Engine

MAX_HOPS = 40  # steps entered in one turn before we assume a loop and fall back to the menu
MAX_STACK = 3
MAX_MEDIA = 10


class Navigator:
    def __init__(self, engine: Engine, state: states.EngineState, turn: Turn, parse: Parse) -> None:
        self.engine = engine
        self.state = state
        self.turn = turn
        self.parse = parse
        self.replies: list[Reply] = []
        self.effects: list[Effect] = []
        self.stopped = False  # opted out during this turn: nothing more is said
        self.erased = False
        self.hops = 0
        self.first_question: int | None = None  # where this turn's first question is in replies

    # -- output -----------------------------------------------------------------------------

    def say(self, reply: Reply | None) -> None:
        if reply is None or self.stopped or reply in self.replies:
            return
        self.replies.append(reply)

    def say_province_noted(self) -> None:
        """ "Noted: you work in Alberta": a province named where nothing asked for it."""
        self.say(
            Reply(
                "followup.province_noted",
                {"province": self.state["province"]},
                formats={"province": "province"},
            )
        )

    def render(self, message: Message, options: tuple[ReplyOption, ...] = ()) -> Reply | None:
        """A Message resolved against the state: province branch, params, facts."""
        province = self.state["province"]
        if message.by_province is not None:
            branch = message.by_province.get(province or "unknown") or message.by_province.get(
                "default"
            )
            return self.render(branch, options) if branch else None
        params: dict[str, Any] = {}
        formats: dict[str, str] = {}
        for name, spec in message.params.items():
            if spec.ref is not None:
                value = self.ref(spec.ref)
            elif spec.fact is not None:
                value = self.engine.facts.lookup(spec.fact, province)
            else:
                value = spec.literal
            if isinstance(value, date):
                value = value.isoformat()  # YAML dates in facts.yaml; params stay JSON-serializable
            value = self.shown(spec, value)
            params[name] = value
            if spec.format:
                formats[name] = spec.format
        return Reply(message.msgid or "", params, options=options, formats=formats)

    def shown(self, spec: Param, value: Any) -> Any:
        """A summary's value: option ids as their labels, a worker's text clipped, nothing as words."""
        if spec.options is not None and self.flow is not None and spec.options in self.flow.steps:
            labels = {o.id: {"msgid": o.label} for o in self.flow.steps[spec.options].options}
            if isinstance(value, list):
                value = [labels.get(v, v) for v in value if v]
            elif isinstance(value, str):
                value = labels.get(value, value)
        if spec.clip and isinstance(value, str) and len(value) > spec.clip:
            value = value[: spec.clip - 3].rstrip() + "..."
        if spec.empty and value in (None, "", []):
            value = {"msgid": spec.empty}
        return value

    def capture(self, entities: dict[str, str], text: str) -> None:
        """Slots filled from what a message names: the NLU's entities (province, sector, case
        code) and, from its words, a town and an employer (flows/story.py)."""
        slots, keywords = self.state["slots"], self.engine.keywords
        for entity, slot in entities.items():
            if entity == "town":
                found = story.town_in(self.parse, keywords)
            elif entity == "employer":
                found = story.employer_in(text, keywords)
            else:
                found = self.parse.entity(entity)
                if entity == "sector" and not found:
                    found = self.state["sector"]  # named earlier in the conversation
                if found and entity in ("province", "case_code"):
                    found = found.upper()
                if entity == "province" and found not in self.engine.provinces:
                    found = None
            if found and not (entity in ("town", "employer") and slots.get(slot)):
                slots[slot] = found

    def keep_told(self, flow: Flow, topic: bool = False) -> None:
        """What this message tells of ``flow``'s matter (the employer, town, province and problems;
        the whole as the worker's own account when long enough), kept in its slots: the questions
        after do not ask it again."""
        text = self.turn.text or ""
        self.capture(flow.entities, text)
        self.note_problems(flow.problems, topic=topic)
        slots = self.state["slots"]
        if flow.account and story.is_account(text) and not slots.get(flow.account):
            slots[flow.account] = text.strip()[:TEXT_LIMIT]

    def note_problems(self, slot: str | None, topic: bool = False) -> None:
        """Keep in ``slot`` the problems this message names (and, at the start of a flow, the
        topic the worker last asked about), for a step that ``guess``es from them."""
        if not slot:
            return
        extra = list(self.state["slots"].get(slot) or [])
        recent = self.state["topic"]
        if topic and recent and recent["flow"] in self.engine.flows:
            extra.extend(self.engine.flows[recent["flow"]].intents)
        self.state["slots"][slot] = story.problems_named(self.parse, extra)

    def emit(self, kind: str, data: dict[str, Any] | None = None) -> None:
        """Record an effect, and apply the part of it that lives in the engine's own state."""
        if self.stopped:
            return
        data = dict(data or {})
        st = self.state
        if kind in ("set_language", "set_province") and Effect(kind, data) in self.effects:
            return
        if kind == "set_language" and data.get("language") in LANGUAGES:
            st["language"] = data["language"]
        elif kind == "set_province" and isinstance(data.get("province"), str):
            st["province"] = data["province"]
        elif kind == "opt_out":
            self.effects.append(Effect(kind, data, after=len(self.replies)))
            self.abandon_all(park=False)
            self.drop_parked()
            st.update({"opted_out": True, "handoff": None})
            self.stopped = True
            return
        elif kind == "opt_in":
            st["opted_out"] = False
        elif kind == "erase_data":
            self.erased = True
        elif kind == "file_report":
            st["has_reports"] = True
        elif kind == "handoff_agent":
            st["handoff"] = {"since": self.turn.now.isoformat()}
        elif kind == "handoff_end":
            st["handoff"] = None
        elif kind == "tip_delete_chat":
            if st["tip_shown"]:
                return
            st["tip_shown"] = True
        elif kind == "emergency" and any(e.kind == "emergency" for e in self.effects):
            return
        elif kind == "topic_answered" and st["flow"]:
            # What a follow-up ("y en bc?", "q hago") continues: see flows/followup.py.
            topic: states.Topic = {
                "flow": st["flow"],
                "sector": st["slots"].get("sector"),
                "at": self.turn.now.isoformat(),
                "province": st["province"],
            }
            if st["step"]:
                topic["step"] = st["step"]  # the part a province follow-up may say again
            st["topic"] = topic
            problems.answered(st, self.flow.intents if self.flow else ())
        self.effects.append(Effect(kind, data, after=len(self.replies)))

    def ref(self, name: str) -> Any:
        """A `$reference` (or, in conditions, a bare slot name) read from the state."""
        st = self.state
        if not name.startswith("$"):
            return st["slots"].get(name)
        if name.startswith("$slots."):
            return st["slots"].get(name[len("$slots.") :])
        pending = self.pending()
        pending_flow = self.engine.flows.get(pending["flow"]) if pending else None
        return {
            "$language": st["language"],
            "$province": st["province"],
            "$channel": self.turn.channel,
            "$services": list(st["services"]),
            "$has_reports": st["has_reports"],
            "$slots": dict(st["slots"]),
            "$flow": st["flow"],
            "$pending": pending_flow.title if pending_flow else None,
            "$pin": bool(
                (st.get("pin") or {}).get("hash")
            ),  # the worker chose a PIN (bot/conversation/pin.py keeps it)
        }.get(name)

    def pending(self) -> states.Frame | None:
        """The flow that ``resume`` goes back to: the one interrupted, else the one parked."""
        st = self.state
        return st["stack"][-1] if st["stack"] else st["parked"]

    def holds(self, condition: str) -> bool:
        """A step's `when`/`unless`: a reference that is truthy, or `name=value` (sector=agriculture),
        where the value may list alternatives (for=agent|ngo)."""
        name, equals, value = condition.partition("=")
        return str(self.ref(name)) in value.split("|") if equals else bool(self.ref(condition))

    def fill(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("$"):
            return self.ref(value)
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        return value

    def perform(
        self,
        says: tuple[Message, ...],
        effects: tuple[EffectSpec, ...],
        settings: dict[str, Any] | None = None,
    ) -> None:
        for message in says:
            self.say(self.render(message))
        for spec in effects:
            self.emit(spec.kind, self.fill(spec.data))
        for key, value in (settings or {}).items():
            self.emit(f"set_{key}", {key: value})

    # -- flows ------------------------------------------------------------------------------

    @property
    def flow(self) -> Flow | None:
        return self.engine.flows.get(self.state["flow"] or "")

    def start_flow(
        self, flow_id: str, slots: dict[str, Any] | None = None, fresh: bool = False
    ) -> None:
        flow = self.engine.flows.get(flow_id)
        if flow is None:
            flow = self.engine.flows["menu"]
        st = self.state
        parked = st["parked"]
        if flow.resumable and not fresh and parked and parked["flow"] == flow.id:
            self.start_flow("resume", {"restart": flow.id})
            return
        waiting = [f for f in st["stack"] if f["flow"] == flow.id]
        if flow.resumable and not fresh and waiting:
            st["stack"].remove(
                waiting[-1]
            )  # already under way (e.g. report -> emergency -> report)
            self.restore(waiting[-1])
            return
        states.clear_flow(st)
        st["flow"] = flow.id
        st["slots"] = dict(slots or {})
        self.keep_told(flow, topic=True)
        if flow.services:
            st["services"] = list(flow.services)
        self.enter(flow.start)

    def enter(self, target: str) -> None:
        """Go to a target; pass through steps that ask nothing until one asks or the flow ends."""
        while not self.stopped:
            self.hops += 1
            if self.hops > MAX_HOPS:
                self.loop_guard()
                return
            flow = self.flow
            if flow is None:
                self.go_menu()
                return
            if target in SPECIAL_TARGETS or ":" in target:
                self.go(target)
                return
            if target not in flow.steps:
                self.go_menu()
                return
            step = flow.steps[target]
            if (step.when and not self.holds(step.when)) or (
                step.unless and self.holds(step.unless)
            ):
                target = step.otherwise or self.next_of(flow, step)
                continue
            if self.guessed(step):
                target = self.next_of(flow, step)
                continue
            needs = step.needs or (flow.needs if target == flow.start else ())
            if (
                "province" in needs
                and not self.state["province"]
                and not self.state["province_skipped"]
            ):
                self.state["step"] = target
                self.state["asked_at"] = None
                self.push(auto=True)
                self.start_flow(
                    "province", {"for": flow.id}
                )  # the question may say why (province.yaml)
                return
            self.state["step"] = target
            self.perform(step.say, step.effects)
            topic = self.state["topic"]
            answers = any(e.kind == "topic_answered" for e in step.effects)
            if step.say and not answers and topic and topic["flow"] == flow.id:
                # What the worker has read beyond the answer: "what do I do?" does not repeat it
                # (the answer itself may be a topic's next step: the fees claim, said again).
                topic["shown"] = [*topic.get("shown", ()), target]
            if self.stopped or self.erased or self.state["flow"] != flow.id:
                return
            if step.waits:
                self.state["reprompts"] = 0
                self.ask(step)
                return
            target = self.next_of(flow, step)

    def guessed(self, step: Step) -> bool:
        """Answer a step ahead from the problems noted in its ``guess`` slot, if they match options."""
        slots = self.state["slots"]
        if not step.guess or not step.slot or slots.get(step.slot):
            return False
        picked = self._noted_options(step)
        if not picked:
            return False
        slots[step.slot] = picked if step.ask == "multi" else picked[0]
        return True

    def guess_more(self, flow: Flow) -> None:
        """Problems told after a multiple choice was answered join it (the summary shows them,
        and the worker can change them there)."""
        slots = self.state["slots"]
        for step in flow.steps.values():
            chosen = slots.get(step.slot or "")
            if step.guess and step.ask == "multi" and isinstance(chosen, list):
                chosen += [i for i in self._noted_options(step) if i not in chosen]

    def _noted_options(self, step: Step) -> list[str]:
        """The ids of ``step``'s options whose intent is among the problems of its ``guess`` slot."""
        noted = self.state["slots"].get(step.guess or "") or []
        return [o.id for o in step.options if o.intent and o.intent in noted]

    def loop_guard(self) -> None:
        self.abandon_all(park=False)
        self.hops = 0
        self.start_flow("menu")

    def options(self, step: Step) -> tuple[Option, ...]:
        """The options shown for ``step`` on this turn's channel."""
        return step_options(
            step,
            self.state["slots"],
            province_list=self.turn.channel in self.engine.province_list_channels,
        )

    def ask(self, step: Step, reprompt: str | None = None) -> None:
        options = self.options(step)
        shown = tuple(ReplyOption(str(i), o.label, id=o.id) for i, o in enumerate(options, start=1))
        if self.first_question is None and not self.stopped:
            self.first_question = len(self.replies)
        reply = (
            Reply(reprompt, {}, options=shown)
            if reprompt
            else (self.render(step.prompt, shown) if step.prompt is not None else None)
        )
        if reply is not None and shown:
            reply = replace(reply, choice=self.choice(step, options))
        self.say(reply)
        self.state["step"] = step.id
        self.state["asked_at"] = self.turn.now.isoformat()

    def choice(self, step: Step, options: tuple[Option, ...]) -> str:
        """The question's name for a WhatsApp Content template (see Reply.choice)."""
        if step.ask == "yesno" and [o.id for o in options] == ["yes", "no"]:
            return "yesno"
        if step.ask == "province":
            return "province"
        return f"{self.state['flow']}.{step.id}"

    def next_of(self, flow: Flow, step: Step) -> str:
        if step.next:
            return step.next
        order = list(flow.steps)
        index = order.index(step.id)
        return order[index + 1] if index + 1 < len(order) else "end"

    def go(self, target: str) -> None:
        if target == "end":
            self.finish()
        elif target == "menu":
            self.complete()
            self.go_menu()
        elif target == "cancel":
            self.complete(cancelled=True)
            self.go_menu()
        elif target == "resume":
            self.complete()
            self.resume()
        elif target == "discard":
            restart = self.state["slots"].get("restart")
            self.complete()
            self.discard(restart)
        elif target.startswith("flow:"):
            self.complete()
            self.start_flow(target[5:])
        elif target.startswith("intent:"):
            self.complete()
            route = self.engine.route(target[7:])
            if route == "menu" or route is None:
                self.go_menu()
            else:
                self.start_flow(route)
        else:
            self.enter(target)

    def complete(self, cancelled: bool = False) -> None:
        """The running flow reached its end (or left for another): analytics, discretion tip.
        ``cancelled``: the worker said no at the end (a report not sent), which is no completion."""
        flow = self.flow
        if flow is None:
            return
        if flow.analytics:
            kind = "flow_cancelled" if cancelled else "flow_completed"
            self.emit(kind, {"flow": flow.id, "step": self.state["step"]})
        if flow.sensitive:
            self.emit("tip_delete_chat", {})
        states.clear_flow(self.state)

    def finish(self) -> None:
        flow = self.flow
        self.complete()
        if self.stopped or self.erased:
            return
        stack = self.state["stack"]
        if self.state["handoff"]:
            return
        if stack and stack[-1].get("auto"):
            self.restore(stack.pop())
        elif stack:
            self.start_flow("return")
        elif flow is not None and flow.then == "next_steps":
            self.offer_next_steps()
        elif flow is not None and flow.then:
            self.go_menu() if flow.then == "menu" else self.start_flow(flow.then)

    def offer_next_steps(self) -> None:
        """The next steps after an answer: the other problems the worker wrote about first."""
        waiting = problems.waiting(self.state, self.turn.now, self.engine.session_timeout)
        if waiting:
            self.start_flow("problems", {"candidates": waiting})
        else:
            self.start_flow("next_steps")

    # -- the stack and parking ----------------------------------------------------------------

    def push(self, auto: bool) -> None:
        st = self.state
        if st["flow"] is None:
            return
        running = states.frame(st, auto=auto)
        if running is not None:  # a flow without a step (a damaged stored state) is not kept
            st["stack"].append(running)
        states.clear_flow(st)
        while len(st["stack"]) > MAX_STACK:
            self.abandon(st["stack"].pop(0), park=True)

    def restore(self, frame: states.Frame, ask_again: bool = True) -> None:
        """Run ``frame`` again: its question asked again (or, without ``ask_again``, left waiting
        for this very message to answer it)."""
        flow = self.engine.flows.get(frame["flow"])
        if flow is None or frame["step"] not in flow.steps:
            self.go_menu()
            return
        st = self.state
        states.clear_flow(st)
        st.update({"flow": flow.id, "step": frame["step"], "slots": dict(frame["slots"])})
        if not frame.get("asked_at"):
            self.enter(frame["step"])
        elif ask_again:
            self.ask(flow.steps[frame["step"]])
        else:
            st["asked_at"] = frame["asked_at"]

    def resume(self, ask_again: bool = True) -> None:
        st = self.state
        if st["stack"]:
            self.restore(st["stack"].pop(), ask_again)
        elif st["parked"]:
            frame, st["parked"] = st["parked"], None
            self.restore(frame, ask_again)
        else:
            self.go_menu()

    def discard(self, restart: str | None) -> None:
        st = self.state
        if st["stack"]:
            self.abandon(st["stack"].pop(), park=False)
        else:
            self.drop_parked()
        if restart and restart in self.engine.flows:
            self.start_flow(restart, fresh=True)
        else:
            self.go_menu()

    def abandon(self, frame: states.Frame, park: bool) -> None:
        flow = self.engine.flows.get(frame["flow"])
        if park and flow is not None and flow.resumable:
            self.drop_parked()
            since = self.state["last_seen"] or self.turn.now.isoformat()  # the worker's last answer
            self.state["parked"] = {**frame, "since": since, "auto": False}
        elif flow is None or flow.analytics:
            self.effects.append(
                Effect("flow_abandoned", {"flow": frame["flow"], "step": frame["step"]})
            )

    def abandon_all(self, park: bool) -> None:
        """Leave the running flow and everything under it (resumable ones are parked)."""
        st = self.state
        frames = list(st["stack"])
        running = states.frame(st)
        if st["flow"] and running is not None:
            frames.append(running)
        st["stack"] = []
        states.clear_flow(st)
        for frame in frames:
            self.abandon(frame, park)

    def drop_parked(self) -> None:
        parked = self.state["parked"]
        if parked:
            self.effects.append(
                Effect("flow_abandoned", {"flow": parked["flow"], "step": parked["step"]})
            )
        self.state["parked"] = None

    def go_menu(self) -> None:
        self.abandon_all(park=True)
        self.start_flow("menu")

    def store_media(self, step: Step, items: list[Any]) -> int:
        slot = step.slot or "media"
        kept = list(self.state["slots"].get(slot) or [])
        kept.extend(items[: max(0, MAX_MEDIA - len(kept))])
        self.state["slots"][slot] = kept
        return len(kept)
