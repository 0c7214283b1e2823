"""A question as WhatsApp's tappable answers: a Content template filled with the question and its
options in the worker's language, so one template serves es, tl and en.

The variables (docs/operations.md shows how to lay out a template with them): "1" the question,
"2" a list's button label, then three for each option n = 1, 2, ...: "3n" its title (cut to fit a
button), "3n+1" its id (what a tap sends back as ButtonPayload), "3n+2" the whole label (a list
item's description). Pure: text in, a Content (or None when the options do not fit) out.
"""

from __future__ import annotations

from bot.messages import Content

#: A twilio/list-picker holds at most 10 items; a twilio/quick-reply in session, 3 buttons.
MAX_OPTIONS = 10
#: A WhatsApp button's title (a list item allows 24): a longer label is cut at a word, with "…".
TITLE_CHARS = 20
DESCRIPTION_CHARS = 72
BODY_CHARS = 1024
CLIP = "\u2026"


def fill(sid: str, body: str, button: str, options: list[tuple[str, str]]) -> Content | None:
    """The Content message for a question (``options`` as (id, label)), or None when it cannot be
    one: no options, more than a list holds, or a text beyond WhatsApp's limits."""
    if not options or len(options) > MAX_OPTIONS or not body or len(body) > BODY_CHARS:
        return None
    if any(not label or len(label) > DESCRIPTION_CHARS for _, label in options):
        return None
    variables = {"1": body, "2": title(button)}
    for n, (option_id, label) in enumerate(options, start=1):
        variables |= {str(3 * n): title(label), str(3 * n + 1): option_id, str(3 * n + 2): label}
    return Content(sid, variables)


def title(label: str) -> str:
    """``label`` short enough for a button: cut at the last whole word that fits, marked "…"
    (the engine reads a cut title as the label it begins)."""
    label = " ".join(label.split())
    if len(label) <= TITLE_CHARS:
        return label
    cut = label[: TITLE_CHARS - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-(") + CLIP
