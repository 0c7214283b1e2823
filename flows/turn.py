"""What one message means, decided in a fixed order (see flows/README.md):

opt-out state, STOP, safety triage, first contact / timeouts, global commands, the answer to the
waiting question, an interrupting intent, clarification, re-prompt.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from . import story
from .answers import TEXT_LIMIT, Answer, match_option, read_value
from .followup import follow_up
from .model import Flow, Step
from .navigation import Navigator
from .problems import answer_most_urgent
from .state import clear_flow, fresh, when
from .text import bare_number, normalize, words
from .types import Reply, StepResult

NOT_ROUTABLE = ("greet", "goodbye", "affirm", "deny", "nlu_fallback", "menu")
MAX_REPROMPTS = 2
MIN_CANDIDATE_CONFIDENCE = 0.05
#: A clarification with one guess this sure is no question: that topic is answered.
ONE_GUESS_CONFIDENCE = 0.3
#: A message of this many words in another (clearly detected) language switches at once; from
#: OFFER_WORDS words a shorter one gets an offer to switch.
SWITCH_WORDS = 6
OFFER_WORDS = 3
#: At most this many words beside a province's name ("estoy en manitoba", "sa alberta po ako")
#: and the message still only says where the worker is.
PLACE_WORDS = 3


def is_menu(step: Step) -> bool:
    """A navigation step: options that lead somewhere, nothing stored."""
    return step.ask == "choice" and not step.slot and not step.free


class Handler(Navigator):
    new_session = False
    emergency = False
    triaged: str | None = None

    def run(self) -> StepResult:
        st, turn = self.state, self.turn
        text = turn.text or ""
        first_contact = st["last_seen"] is None
        shows_language = self.engine.keywords.shows_language(text) and not self.answers_slot()
        if first_contact and st["language"] is None:
            st["language"] = self.parse.language or self.engine.default_language
            st["language_guessed"] = not shows_language
        elif st["language_guessed"] and shows_language and not st["opted_out"]:
            self.settle_language()
        if st["opted_out"]:
            self.while_opted_out(text)
            return self.result(update_seen=False)
        command = self.engine.keywords.command(text, turn.channel)
        if command is None and turn.button:
            command = self.engine.keywords.command(turn.button, turn.channel)
        if command == "stop":
            self.opt_out(text)
            return self.result()
        if (
            command != "exit"
        ):  # the quick exit's only words are harmless ones ("salir" reads as danger)
            self.remember_province()  # "me cai del techo, estoy en manitoba": its board in the triage reply
            self.triage()
        if self.triaged == "suicide":
            # Only the crisis line and warm words: no menu, no opt-out or erase offer after it.
            st["crisis"] = True
            if first_contact:
                self.emit("set_language", {"language": st["language"]})
            return self.result()
        if st["crisis"] and not self.triaged:
            # The message after it ("quebec") is answered, but a person who spoke of ending their
            # life is asked how they are first, with the crisis line again.
            st["crisis"] = False
            self.say(Reply("triage.suicide.checkin"))
        if first_contact:
            self.emit("set_language", {"language": st["language"]})
        else:
            self.check_timeouts()
        self.remember_province()
        chosen_language = (
            self.engine.keywords.language_name(text, requests=not self.answers_slot())
            if st["flow"] != "language"
            else None
        )
        if command:
            self.command(command)
        elif chosen_language:
            self.switch_language(chosen_language)
        elif st["handoff"]:
            self.emit("relay_to_agent", {})
        elif self.flow is not None and st["step"]:
            self.answer(self.flow, self.flow.steps.get(st["step"]))
        else:
            self.idle(text)
        if first_contact:
            self.introduce()
        if shows_language and not (command or chosen_language or first_contact):
            self.follow_language(text)
        return self.result()

    def introduce(self) -> None:
        """Answer first: one short line saying who we are (and the language word) goes after the
        answer, just before the first question, so a first question gets its answer at once."""
        if self.stopped or self.erased:
            return
        at = len(self.replies) if self.first_question is None else self.first_question
        self.replies.insert(at, Reply("welcome.intro"))
        self.effects = [
            replace(e, after=e.after + 1) if e.after is not None and e.after > at else e
            for e in self.effects
        ]

    def result(self, update_seen: bool = True) -> StepResult:
        if self.erased:
            self.state = fresh(self.state["language"])
        elif update_seen:
            self.state["last_seen"] = self.turn.now.isoformat()
        return StepResult(replies=list(self.replies), state=self.state, effects=list(self.effects))

    # -- before any flow ----------------------------------------------------------------------

    def while_opted_out(self, text: str) -> None:
        """Silence, except START (or Twilio's own opt-in words on SMS)."""
        keywords = self.engine.keywords
        started = keywords.is_start(text, self.turn.channel) or (
            bool(self.turn.button) and keywords.is_start(self.turn.button or "", self.turn.channel)
        )
        if not started:
            return
        self.emit("opt_in", {"keyword": normalize(text)})
        self.state["last_seen"] = self.turn.now.isoformat()
        self.say(Reply("optout.resumed"))
        self.go_menu()

    def opt_out(self, text: str) -> None:
        keyword = normalize(text)
        carrier = self.turn.channel == "sms" and self.engine.keywords.is_carrier_word(text)
        # On SMS Twilio confirms its own stop words and blocks anything we send after them.
        if not carrier:
            self.say(Reply("optout.confirmed"))
        self.emit("opt_out", {"keyword": keyword, "carrier": carrier})

    def triage(self) -> None:
        """The safety triage's category (nlu/triage) gets its own first reply, before anything."""
        category = self.parse.triage
        if category is None:
            return
        self.triaged = category
        self.emergency = category != "suicide"
        self.state["topic"] = None  # "q hago" after this is not a follow-up of an earlier answer
        self.say(self.triage_reply(category))
        hurt = "injury" in self.parse.triage_also or "ask_injury" in self.parse.problems
        if category not in ("injury", "suicide") and hurt:
            self.say(self.injury_reply("triage.also_injury"))  # pushed off a ladder: hurt, too
        self.emit(
            "emergency",
            {"source": "triage", "category": category, "province": self.state["province"]},
        )

    def safety_first(self) -> bool:
        """Violence, confinement or sexual abuse: the help options come before any topic (an
        injury may still go to a confident topic, such as injuries and compensation)."""
        return self.emergency and self.triaged != "injury"

    def triage_reply(self, category: str) -> Reply:
        return (
            self.injury_reply("triage.injury")
            if category == "injury"
            else Reply(f"triage.{category}")
        )

    def injury_reply(self, msgid: str) -> Reply:
        """The injury text, naming the province's compensation board, and its line, when known."""
        board = self.engine.facts.lookup("compensation_boards.{province}", self.state["province"])
        if not (isinstance(board, dict) and board.get("name")):
            return Reply(msgid)
        if board.get("phone"):
            return Reply(f"{msgid}.board", {"board": board["name"], "phone": board["phone"]})
        return Reply(f"{msgid}.named", {"board": board["name"]})

    def say(self, reply: Reply | None) -> None:
        # The triage reply already gave the emergency lines (the emergency flow repeats them).
        if self.triaged and reply is not None and reply.msgid == "emergency.message":
            return
        super().say(reply)

    def check_timeouts(self) -> None:
        st, now, engine = self.state, self.turn.now, self.engine
        handoff_since = when((st["handoff"] or {}).get("since"))
        if st["handoff"] and (
            handoff_since is None or now - handoff_since > engine.handoff_timeout
        ):
            self.emit("handoff_end", {"reason": "timeout"})
        last = when(st["last_seen"])
        flow = self.flow
        step = flow.steps.get(st["step"] or "") if flow else None
        limit = (step.timeout or flow.timeout) if step and flow else None
        asked = when(st["asked_at"])
        if last is not None and now - last > engine.session_timeout:
            self.new_session = True
            self.abandon_all(park=True)
            st.update(
                {
                    "tip_shown": False,
                    "lang_offered": False,
                    "province_skipped": False,
                    "services": [],
                }
            )
            if not st["handoff"]:
                self.say(Reply("welcome.back"))
        elif limit is not None and asked is not None and now - asked > limit:
            self.abandon_all(park=True)  # a stale question is not answered by a late message
        parked = st["parked"]
        if parked:
            parked_flow = engine.flows.get(parked["flow"])
            since = when(parked.get("since"))
            if parked_flow is None or since is None or now - since > parked_flow.keep:
                self.drop_parked()

    def remember_province(self) -> None:
        """The province a message names (an effect: the conversation row keeps it), and its
        sector (the state keeps it, for the exceptions of later answers)."""
        found = (self.parse.entity("province") or "").upper()
        if found and found != self.state["province"] and found in self.engine.provinces:
            self.emit("set_province", {"province": found})
        sector = self.parse.entity("sector")
        if sector and not self.answers_slot():
            self.state["sector"] = sector

    # -- commands ---------------------------------------------------------------------------

    def command(self, command: str) -> None:
        st = self.state
        if command in ("menu", "start"):
            if st["handoff"]:
                self.emit("handoff_end", {"reason": "worker"})
            self.go_menu()
        elif command == "more":
            if st.get("pages"):  # the renderer's pages waiting for MORE
                self.emit("more", {})
            else:
                self.say(Reply("paging.empty"))
        elif command == "exit":
            self.quick_exit()
        else:
            if st["handoff"]:
                self.emit("handoff_end", {"reason": "worker"})
            self.interrupt(
                {"language": "language", "help": "help", "erase": "erase", "agent": "agent"}[
                    command
                ]
            )

    def quick_exit(self) -> None:
        """SALIR / ALIS / EXIT: someone may be taking the phone. Everything under way ends (an
        unfinished report too, so nothing offers it back) and the last words on screen are harmless."""
        if self.state["handoff"]:
            self.emit("handoff_end", {"reason": "worker"})
        self.abandon_all(park=False)
        self.drop_parked()
        self.say(Reply("exit.done"))

    def switch_language(self, language: str) -> None:
        self.emit("set_language", {"language": language})
        self.say(Reply("lang.changed"))
        flow = self.flow
        step = flow.steps.get(self.state["step"] or "") if flow else None
        if step is not None and step.waits:
            self.ask(step)
        elif not self.state["handoff"]:
            self.go_menu()

    def interrupt(self, flow_id: str, slots: dict[str, Any] | None = None) -> None:
        """Start a flow over the running one, which waits on the stack to be offered back."""
        if self.state["flow"] == flow_id:
            step = self.flow.steps.get(self.state["step"] or "") if self.flow else None
            if step is not None and step.waits and not is_menu(step):
                self.ask(step)
                return  # a question of this flow is pending; a menu after an answer is answered again
        target = self.engine.flows.get(flow_id)
        auto = target is not None and target.returns == "auto"
        current = self.flow
        step = current.steps.get(self.state["step"] or "") if current else None
        if (
            current is not None
            and not auto
            and not current.resumable
            and (step is None or is_menu(step))
        ):
            self.complete()  # a menu with nothing collected is not worth offering back
        elif current is not None and current.returns == "auto":
            # A question asked on the way (the province, the language) is not offered back ("go back
            # to your province?"): the flow that asked it waits below and asks again if still needed.
            clear_flow(self.state)
        self.push(auto=auto)
        self.start_flow(flow_id, slots)

    # -- the waiting question ---------------------------------------------------------------

    def answer(self, flow: Flow, step: Step | None) -> None:
        if step is None:
            self.go_menu()
            return
        turn, keywords = self.turn, self.engine.keywords
        options = self.options(step)
        found = match_option(
            step,
            options,
            turn.text or "",
            turn.button,
            self.parse,
            keywords,
            self.state["language"],
            self.engine.labels,
        )
        if found is None:
            if self.leaves_unfinished(flow, step) or self.tells_the_waiting(flow, step):
                return
            if is_menu(step) and (answer_most_urgent(self) or follow_up(self)):
                return
            if self.try_interrupt(flow, step):
                return
            if is_menu(step) and self.understand(turn.text or ""):
                return  # a navigation menu: whatever the NLU understood beats a re-prompt
            found = read_value(step, turn.text or "", self.parse, tuple(turn.media or ()), keywords)
        if found.kind == "invalid":
            if self.emergency and flow.id != "emergency":
                self.interrupt("emergency")
                return
            if self.try_interrupt(flow, step, could_answer=False):
                return
            # Told instead of answered ("la granja se llama sunny acres, esta en leamington" at "are
            # you in danger?"): asked again, but what it names is not asked for later.
            self.keep_told(flow)
            self.reprompt(step)
            return
        if found.kind == "value" and (self.tells_more(flow, step) or self.only_province(step)):
            return
        self.accept(flow, step, found)

    def tells_more(self, flow: Flow, step: Step) -> bool:
        """More of what happened, told at a question for a name ("sinisigawan kami araw araw at 70
        oras kami pero 48 lang bayad" at "the employer's name and town?"): it joins the worker's
        account, what it names is kept, and the question is asked once more (a second such
        answer is taken as the answer)."""
        st, text = self.state, (self.turn.text or "").strip()
        if (
            not flow.account
            or not (step.ask == "text" or step.free)
            or step.slot == flow.account
            or st["reprompts"]
            or len(words(text)) <= story.NAME_WORDS
            or not story.problems_named(self.parse)
            or story.employer_in(text, self.engine.keywords) is not None
        ):
            return False
        told = st["slots"].get(flow.account)
        self.keep_told(flow)
        self.guess_more(flow)
        st["slots"][flow.account] = (f"{told}\n{text}" if told else text)[:TEXT_LIMIT]
        st["reprompts"] += 1
        self.say(Reply("account.added"))
        self.ask(step)
        return True

    def leaves_unfinished(self, flow: Flow, step: Step) -> bool:
        """ "ok gracias" before a report is sent: the worker may think it went. Told it has not
        (it is kept for the flow's ``keep``), and the question asked again; no reprompt spent."""
        if (
            not flow.resumable
            or self.parse.intent != "goodbye"
            or not self.engine.decided(self.parse)
        ):
            return False
        hours = int(flow.keep.total_seconds() // 3600)
        self.say(
            Reply(
                "common.goodbye.unfinished",
                {"flow": flow.title, "hours": hours},
                formats={"flow": "msgid", "hours": "number"},
            )
        )
        self.ask(step)
        return True

    def tells_the_waiting(self, flow: Flow, step: Step) -> bool:
        """More of what happened, told at the options of an answer given inside a report or at
        "back to your report?" ("no nos pagan las horas extra y nos gritan": the answer to the
        report's "tell me what happened", asked before a question came between): the report
        resumes and takes it. A question is answered as itself."""
        # A report parked in an earlier session is only taken back at its own offer ("resume").
        frame = self.pending() if self.state["stack"] or flow.id == "resume" else None
        pending = self.engine.flows.get(frame["flow"]) if frame else None
        waiting = pending.steps.get(frame["step"]) if pending and frame else None
        if (
            not is_menu(step)
            or pending is None
            or waiting is None
            or not waiting.problems
            or not (frame and frame.get("asked_at"))  # asked, so resume leaves it waiting
            or "?" in (self.turn.text or "")
            or not story.problems_named(self.parse)
        ):
            return False
        self.complete()
        self.resume(ask_again=False)  # the report's question waits, unasked, for this message
        self.answer(pending, waiting)
        return True

    def only_province(self, step: Step) -> bool:
        """A typed answer that only names the province ("manitoba" at "the employer's name and
        town?", "sa alberta po" at "what kind of work?"): kept by remember_province, so said, and
        the question asked again. A town ("leamington") is an answer: only a province's own name
        counts."""
        parse, province, text = self.parse, self.state["province"], self.parse.text or ""
        if step.ask not in ("text", "choice") or parse.intent != "inform" or not province:
            return False
        for span in parse.spans:
            named = self.engine.keywords.province(text[span.start : span.end])
            if span.entity == "province" and named == province:
                if len(words(f"{text[: span.start]} {text[span.end :]}")) > PLACE_WORDS:
                    return False
                self.say_province_noted()
                self.ask(step)
                return True
        return False

    def try_interrupt(self, flow: Flow, step: Step, could_answer: bool = True) -> bool:
        """Another request instead of an answer. While the message could still be the answer it
        must be clearly another request; once it is not an answer ("talk to a person" at the
        province question), whatever the NLU would act on with nothing waiting is enough."""
        parse, engine = self.parse, self.engine
        route = engine.route(parse.intent)
        if route is None or route == flow.id or (self.safety_first() and route != "emergency"):
            return False  # after a safety reply only the help options may interrupt
        # The worker's own account: a problem it names is what it is about, unless what it asks
        # is only whether reporting is safe ("mi patron se va a enterar que fui yo?" is answered,
        # and the report waits; "no me pagan el minimo, es legal?" is the account). An erasure or
        # a stop is no answer to any question (a name, a town, the account), and the flow it
        # starts asks before it acts: "borra todo porfavor" at the kind of work is not a sector.
        asked = (
            bool(step.problems)
            and "?" in (self.turn.text or "")
            and not set(story.problems_named(parse)) - {"ask_retaliation"}
        )
        surely_other = asked or parse.intent in engine.never_offered
        if step.problems and route != "emergency" and not surely_other:
            return False
        if not could_answer and parse.intent in NOT_ROUTABLE:
            return False  # "ok", "hola" at a question: ask it again
        takes_any_text = step.ask == "text" or (step.ask == "choice" and step.free)
        threshold = (
            engine.text_interrupt_confidence if takes_any_text else engine.interrupt_confidence
        )
        unsure = could_answer and parse.confidence < threshold and not surely_other
        if unsure or not engine.decided(parse):
            return False
        if route == "menu":
            self.go_menu()
        else:
            self.interrupt(route)
        return True

    def reprompt(self, step: Step) -> None:
        st = self.state
        province = (self.parse.entity("province") or "").upper()
        if self.parse.intent == "inform" and province and province == st["province"]:
            # "bc" at "are you in danger?": the province is kept (remember_province), so said,
            # and the question asked again; no reprompt spent on it.
            self.say_province_noted()
            self.ask(step)
            return
        st["reprompts"] += 1
        if st["reprompts"] > MAX_REPROMPTS:
            self.say(Reply("reprompt.giveup"))
            self.go_menu()
            return
        self.ask(step, reprompt=step.reprompt or f"reprompt.{step.ask or 'choice'}")

    def accept(self, flow: Flow, step: Step, found: Answer) -> None:
        st = self.state
        slots = st["slots"]
        st["reprompts"] = 0
        target = self.next_of(flow, step)
        if found.kind == "media":
            count = self.store_media(step, found.value)
            self.say(Reply("media.received", {"count": count}, formats={"count": "number"}))
            st["asked_at"] = self.turn.now.isoformat()
            return
        if found.kind == "skip":
            if step.slot and step.ask != "media":
                slots[step.slot] = step.default
            if step.ask == "province":
                st["province_skipped"] = True
        elif found.kind == "option":
            option = found.options[0]
            value: object = option.id
            if step.ask == "yesno" and option.id in ("yes", "no"):
                value = option.id == "yes"
            elif step.ask == "multi":
                value = [option.id]
            if step.slot:
                slots[step.slot] = value
            if step.ask == "province" and option.id in self.engine.provinces:
                self.emit("set_province", {"province": option.id})
            for name in option.clear:
                slots.pop(name, None)
            self.perform(option.say, option.effects, option.set)
            target = option.goto or target
        elif found.kind == "options":
            if step.slot:
                slots[step.slot] = [o.id for o in found.options]
            for option in found.options:
                self.perform(option.say, option.effects, option.set)
        elif found.kind == "value":
            if step.slot:
                slots[step.slot] = found.value
            if step.ask == "province":
                self.emit("set_province", {"province": found.value})
            self.capture_entities(step)
        if self.stopped or self.erased or st["flow"] != flow.id:
            return
        self.enter(target)

    def capture_entities(self, step: Step) -> None:
        """What a typed answer names goes to the step's entity slots; an answer that names a
        town but is not an account (no `employer` to find) keeps only the rest ("Granja Sol")."""
        text = self.turn.text or ""
        self.capture(step.entities, text)
        self.note_problems(step.problems)
        town = self.state["slots"].get(step.entities.get("town", ""))
        if (
            town
            and step.slot
            and "employer" not in step.entities
            and isinstance(self.state["slots"].get(step.slot), str)
        ):
            self.state["slots"][step.slot] = (
                story.without_place(self.state["slots"][step.slot], town) or None
            )

    # -- nothing is waiting -----------------------------------------------------------------

    def idle(self, text: str) -> None:
        parse, st = self.parse, self.state
        route = self.engine.route(parse.intent)
        if self.new_session and st["parked"]:
            if route is not None and route != "menu" and self.engine.decided(parse):
                st["stack"].append({**st["parked"], "auto": False})
                st["parked"] = None
                self.start_flow(route)
            else:
                self.start_flow("resume")
            return
        if answer_most_urgent(self) or follow_up(self):
            return
        if not self.understand(text):
            if not self.new_session:  # after "welcome back" the menu says enough
                self.say(Reply("clarify.none"))
            self.go_menu()

    def understand(self, text: str) -> bool:
        """Act on what the NLU made of a message that answers no question; False if nothing."""
        parse, engine = self.parse, self.engine
        route = engine.route(parse.intent)
        confident = route is not None and engine.decided(parse)
        if self.emergency and (self.safety_first() or not (confident and route != "menu")):
            self.interrupt("emergency")
        elif parse.entity("case_code") and parse.intent in ("case_status", "nlu_fallback"):
            self.interrupt(engine.route("case_status") or "menu")
        elif parse.intent == "goodbye":
            self.say(Reply("common.goodbye"))
        elif bare_number(text, engine.keywords.numbers) is not None:
            if self.flow is not None:
                return False
            self.go_menu()
        elif parse.intent in ("greet", "affirm", "deny", "menu"):
            if self.flow is not None and parse.intent in ("affirm", "deny"):
                return False
            self.go_menu()
        elif confident:
            self.interrupt(route)  # type: ignore[arg-type]
        else:
            return self.clarify()
        return True

    def clarify(self) -> bool:
        """Unsure NLU: offer the top guesses as numbered options, never a dead end."""
        candidates: list[str] = []
        for name, confidence in self.parse.ranking:
            route = self.engine.route(name)
            if route is None or name in NOT_ROUTABLE or confidence < MIN_CANDIDATE_CONFIDENCE:
                continue
            # Erase and opt-out happen only on purpose: never offered as a guess.
            if name in self.engine.never_offered or not self.engine.trusts(name, confidence):
                continue
            if route not in [self.engine.route(c) for c in candidates]:
                candidates.append(name)
            if len(candidates) == 3:
                break
        if not candidates:
            return False
        if self.state["flow"] is not None:
            self.complete()
        confidence = dict(self.parse.ranking).get(candidates[0], 0.0)
        route = self.engine.route(candidates[0])
        if len(candidates) == 1 and route is not None and confidence >= ONE_GUESS_CONFIDENCE:
            self.start_flow(route)  # "did you mean: 1. Hours" asks for nothing
            return True
        self.start_flow("clarify", {"candidates": candidates})
        return True

    def answers_slot(self) -> bool:
        """The message answers a waiting question that stores what is typed (a name, a place):
        its words are the worker's answer, not a sign of their language."""
        step = self.flow.steps.get(self.state["step"] or "") if self.flow else None
        return step is not None and (step.ask == "text" or step.free) and not self.state["handoff"]

    def settle_language(self) -> None:
        """The first message that shows a language replaces a guess made from one that did not."""
        st = self.state
        st["language_guessed"] = False
        if self.parse.language and self.parse.language != st["language"]:
            self.emit("set_language", {"language": self.parse.language})

    def follow_language(self, text: str) -> None:
        """A message in another language: a whole one switches at once (the worker is told how to
        change back); a short one is answered in the chosen language with an offer (once)."""
        st = self.state
        other = self.parse.language
        if self.stopped or self.erased or other in (None, st["language"]):
            return
        if len(words(text)) >= SWITCH_WORDS:
            self.emit("set_language", {"language": other})
            self.say(Reply("lang.changed"))
            return
        if st["lang_offered"] or len(words(text)) < OFFER_WORDS:
            return
        st["lang_offered"] = True
        self.say(
            Reply(
                "lang.offer", {"language": other}, formats={"language": "language"}, language=other
            )
        )
