"""Questions no item of the list answers and no referral fits: `corpus/out_of_list.jsonl`.

One JSON object per line, written from life and labelled by someone holding the list:

    {"q": "党员积分平台的账号找谁开", "gold": [], "note": "旗县委组织部"}

`q` is the question; `gold`, when present, must be empty (it is the evaluation sets' shape:
nothing in the lists covers it); `note` says, for people, where such questions usually go.
They are evidence for the decision: a question closer to one of these than to any item is
probably not on the list either (docs/evaluation.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.corpus.model import CorpusError, iter_jsonl

FIELDS = ("q", "gold", "note")


@dataclass(frozen=True)
class OutsideQuestion:
    q: str
    note: str = ""


def load_outside(path: Path) -> list[OutsideQuestion]:
    """Read out_of_list.jsonl: a missing file means none; any bad line raises CorpusError (file:line)."""
    if not path.exists():
        return []
    out: list[OutsideQuestion] = []
    seen: dict[str, str] = {}
    for where, data in iter_jsonl(path):
        unknown = sorted(set(data) - set(FIELDS))
        if unknown:
            raise CorpusError(f"{where}: unexpected field {unknown[0]!r}; expected only {', '.join(FIELDS)}")
        q, note = data.get("q"), data.get("note", "")
        if not isinstance(q, str) or not q.strip():
            raise CorpusError(f"{where}: field 'q': expected a non-empty string, got {q!r}")
        if data.get("gold", []) != []:
            raise CorpusError(f"{where}: field 'gold': expected [] (a question no item answers), got {data['gold']!r}; "
                              "a question an item answers belongs in questions.jsonl")
        if not isinstance(note, str):
            raise CorpusError(f"{where}: field 'note': expected a string, got {note!r}")
        q = q.strip()
        if q in seen:
            raise CorpusError(f"{where}: the question {q!r} is already at {seen[q]}")
        seen[q] = where
        out.append(OutsideQuestion(q, note.strip()))
    return out
