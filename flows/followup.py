"""Follow-ups: a message that continues the last rights answer instead of starting anew.

After an answer, "y en bc?" / "and manitoba?" / "eh sa alberta po?" (intent `inform` with a
province or sector) answer the same topic again with the new value. In a topic that does not
ask the province, the part the worker last read (the answer, or a step beyond it such as the
housing deductions) is said again when its words depend on the province, and otherwise the
province is only noted. "q hago" / "what do I do?" / "is that legal?" (`ask_next_step`) get that topic's next step: the flow's `next_step`
(unless the worker has read it already), or else the office that handles it in the worker's province (and the confidential tip line), then
the next-steps menu. The topic (`state["topic"]`, set when a
topic flow emits `topic_answered`) lasts one session. The NLU reads messages in the same context
(`Engine.context`), so a bare place name after an answer comes in as `inform`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import problems
from . import state as states
from .state import EngineState, Topic, when
from .types import Reply

if TYPE_CHECKING:
    from .model import Flow
    from .navigation import Navigator

FOLLOW_UPS = ("inform", "ask_next_step")


def recent_topic(state: EngineState, now: datetime, session: timedelta) -> Topic | None:
    """The last topic answered, if it was in this session."""
    topic = state.get("topic")
    at = when(topic.get("at")) if topic else None
    return topic if at is not None and now - at <= session else None


#: Whose door a topic's next step is, by province: the workers' compensation board for an injury,
#: the employment standards office for the rest of the province-dependent topics.
#: Housing is not asked for the province, but what is taken from pay for it is the province's
#: employment standards office's to check, once the worker has named the province.
OFFICES = {"topic.injury": "compensation_boards", "topic.housing": "offices"}


def responsible_office(nav: Navigator, flow: Flow | None) -> dict[str, str] | None:
    """The office that handles this topic in the worker's province, when the facts give its
    phone as current (flows/facts.yaml); None for a federal topic or an unknown province."""
    province = nav.state["province"]
    if flow is None or ("province" not in flow.needs and flow.id not in OFFICES) or not province:
        return None
    office = nav.engine.facts.lookup(f"{OFFICES.get(flow.id, 'offices')}.{{province}}", province)
    if not (
        isinstance(office, dict)
        and office.get("status") == "current"
        and office.get("name")
        and office.get("phone")
    ):
        return None
    return {"office_name": office["name"], "office_phone": office["phone"]}


def _last_read(flow: Flow, topic: Topic | None) -> str | None:
    """The step the worker last read (beyond the answer, else the answer), if what it says
    depends on the province; None when the flow asks the province (it is answered anew)."""
    if topic is None or "province" in flow.needs:
        return None
    shown = topic.get("shown") or [topic.get("step") or ""]
    step = flow.steps.get(shown[-1])
    return step.id if step is not None and step.uses_province else None


def _again(nav: Navigator, sector: str | None, answering: str | None = None) -> dict[str, Any]:
    """The slots of a topic answered for a newly named province: its sector, and the other problems
    the worker wrote about (all but the one ``answering``, if it waited), still offered first among
    the options (as with the first answer)."""
    waiting = problems.waiting(nav.state, nav.turn.now, nav.engine.session_timeout)
    slots: dict[str, Any] = {"sector": sector} if sector else {}
    offered = [i for i in waiting if i != answering and i not in problems.SAFETY_OPTIONS]
    if offered:
        slots["candidates"] = offered
    return slots


#: Flows that only offer next steps: a province named there may start a waiting answer.
IDLE_FLOWS = (None, "menu", "next_steps", "problems")


def _answer_waiting(nav: Navigator, topic: Topic | None) -> bool:
    """A province named after an answer that does not depend on it ("sa ontario po" after the
    passport answer), or only for its office line (the farm housing answer): the first waiting
    problem whose answer does (the unpaid overtime of the same message, or the housing charge
    with its province's office) is answered for it now, the others still offered; False when none
    waits."""
    running = nav.flow.id if nav.flow else None
    if running not in IDLE_FLOWS and not (topic and running == topic["flow"]):
        return False  # the options of a running flow (a safety question) stand
    waiting = problems.waiting(nav.state, nav.turn.now, nav.engine.session_timeout)
    for intent in waiting:
        route = nav.engine.route(intent)
        flow = nav.engine.flows.get(route) if route else None
        if flow is not None and ("province" in flow.needs or flow.id in OFFICES):
            slots = _again(nav, None, answering=intent)
            nav.complete()
            nav.start_flow(flow.id, slots)
            return True
    return False


def follow_up(nav: Navigator) -> bool:
    """Act on a follow-up message; False when it is not one and the usual handling applies."""
    parse, engine = nav.parse, nav.engine
    if parse.intent not in FOLLOW_UPS:
        return False
    topic = recent_topic(nav.state, nav.turn.now, engine.session_timeout)
    flow = engine.flows.get(topic["flow"]) if topic else None
    if parse.intent == "inform":
        province, sector = parse.entity("province"), parse.entity("sector")
        if not (province or sector):
            return False
        last = None if sector or flow is None else _last_read(flow, topic)
        if topic and not sector and (province or "").upper() == topic.get("province"):
            # The answer was for this very province ("en brooks" had named it): noted, not repeated.
            flow = None
        elif flow is not None and not sector and "province" not in flow.needs:
            if last is None:
                flow = None  # the answer is the same in every province (a passport): noted, not repeated
            elif province and _answer_waiting(nav, topic):
                # Only the office line of the answer read would change (the farm housing one): a
                # waiting problem answered for the province (the unpaid pay) tells the worker more.
                return True
        if flow is None:
            if not (province and nav.state["province"]):
                return False  # a sector alone, with nothing to continue: the usual handling
            if _answer_waiting(nav, topic):
                return True
            nav.say_province_noted()
            waiting = nav.flow.steps.get(nav.state["step"] or "") if nav.flow else None
            if waiting is not None and nav.flow.id != "menu":  # type: ignore[union-attr]  # waiting: a flow
                nav.ask(
                    waiting
                )  # the options the worker was given (after a safety reply, say) stand
            else:
                nav.go_menu()
            return True
        sector = sector or (topic.get("sector") if topic else None)
        again = _again(nav, sector)
        nav.complete()
        if last is not None:
            # The worker had read on (the deductions after the housing answer): that part again.
            states.clear_flow(nav.state)
            nav.state.update({"flow": flow.id, "slots": again})
            nav.enter(last)
            return True
        nav.start_flow(flow.id, again)
        return True
    if (
        flow is not None
        and flow.next_step
        and flow.next_step not in (topic.get("shown", []) if topic else [])
    ):
        nav.complete()
        states.clear_flow(nav.state)
        sector = topic.get("sector") if topic else None
        nav.state.update({"flow": flow.id, "slots": {"sector": sector} if sector else {}})
        nav.enter(flow.next_step)
        return True
    tip_line = engine.facts.lookup("lines.tip_line.phone", None)
    office = responsible_office(nav, flow)
    if office is not None:
        nav.say(Reply("followup.next_step.office", {**office, "tip_line": tip_line}))
    else:
        nav.say(Reply("followup.next_step", {"tip_line": tip_line}))
    nav.complete()
    nav.offer_next_steps()
    return True
