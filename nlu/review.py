"""Export messages the NLU was unsure of as Rasa-format candidates for annotators.

The bot keeps low-confidence messages (encrypted, for the retention period); this module only
turns records into a YAML file an annotator edits: each message sits under the intent the model
guessed, with its confidence and language as metadata, ready to be moved to the right intent and
added to nlu/data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml


@dataclass(frozen=True)
class ReviewRecord:
    """A message below the confidence threshold, as the bot stored it (no phone number)."""

    text: str
    intent: str
    confidence: float
    language: str | None = None

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any]) -> ReviewRecord:
        return cls(
            text=str(row["text"]),
            intent=str(row.get("intent") or "nlu_fallback"),
            confidence=float(row.get("confidence") or 0.0),
            language=row.get("language"),
        )


class _Dumper(yaml.SafeDumper):
    pass


def _block_string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _block_string)


def _one_line(text: str) -> str:
    """Rasa examples are one line each; newlines inside a message become spaces."""
    return " ".join(text.split())


def candidates_yaml(records: Iterable[ReviewRecord | Mapping[str, Any]]) -> str:
    """Rasa 3 NLU YAML with one block per (guessed intent, language), most unsure first.

    Examples use the list form (``text`` + ``metadata``) so each keeps its confidence; the file
    loads with ``nlu.training_data.load`` and with Rasa itself.
    """
    groups: dict[tuple[str, str], list[ReviewRecord]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    for raw in records:
        record = raw if isinstance(raw, ReviewRecord) else ReviewRecord.from_mapping(raw)
        text = _one_line(record.text)
        if not text or (record.intent, text.casefold()) in seen:
            continue
        seen.add((record.intent, text.casefold()))
        groups[(record.intent, record.language or "")].append(record)
    items = []
    for (intent, language), group in sorted(groups.items()):
        block: dict[str, Any] = {"intent": intent}
        if language:
            block["metadata"] = {"language": language}
        block["examples"] = [
            {
                "text": _one_line(r.text),
                "metadata": {"confidence": round(r.confidence, 3), "review": "guessed"},
            }
            for r in sorted(group, key=lambda r: r.confidence)
        ]
        items.append(block)
    header = (
        "# Candidates for the NLU training data: messages the model was unsure of, under the\n"
        "# intent it guessed. Move each to the right intent (or delete it), then copy to nlu/data.\n"
    )
    body = yaml.dump(
        {"version": "3.1", "nlu": items},
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=1000,
    )
    return header + body
