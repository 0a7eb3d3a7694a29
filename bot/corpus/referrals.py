"""Out-of-list matters staff keep asking about: `corpus/referrals.jsonl`.

One JSON object per line, for a matter the duty list does not cover but where the
bot can still say where to go:

    {"id": "ref-passport", "name": "办护照", "where": "市公安局出入境管理大队",
     "numbers": ["12367"], "questions": ["出国护照去哪办"]}

`id` is `ref-` and a lower-case slug, unique; `name` is at most 12 characters (it is
shown on a button); `where` says where to go; `numbers` are phone numbers, digits
only; `questions` are example questions that should find the referral.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from bot.corpus.model import CorpusError, FieldError, iter_jsonl, write_text

ID_PATTERN = re.compile(r"^ref-[a-z0-9-]+$")
NUMBER_PATTERN = re.compile(r"^[0-9]+$")
NAME_MAX = 12
FIELDS = ("id", "name", "where", "numbers", "questions")


@dataclass(frozen=True)
class Referral:
    id: str
    name: str
    where: str
    numbers: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps({"id": self.id, "name": self.name, "where": self.where,
                           "numbers": list(self.numbers), "questions": list(self.questions)}, ensure_ascii=False)


def _text(data: dict, name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise FieldError(name, f"field {name!r}: expected a non-empty string, got {value!r}")
    return value.strip()


def _texts(data: dict, name: str, pattern: re.Pattern | None, what: str) -> tuple[str, ...]:
    value = data.get(name, [])
    if not isinstance(value, list):
        raise FieldError(name, f"field {name!r}: expected a list of {what}, got {value!r}")
    out = []
    for entry in value:
        if not isinstance(entry, str) or not entry.strip() or (pattern and not pattern.match(entry.strip())):
            raise FieldError(name, f"field {name!r}: expected a list of {what}, got the entry {entry!r}")
        out.append(entry.strip())
    return tuple(out)


def referral_from_record(data: dict) -> Referral:
    """One referrals.jsonl object -> Referral; FieldError names the field that is wrong."""
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise FieldError(unknown[0], f"unexpected field {unknown[0]!r}; expected only {', '.join(FIELDS)}")
    ref_id = data.get("id")
    if not isinstance(ref_id, str) or not ID_PATTERN.match(ref_id):
        raise FieldError("id", f"field 'id': expected 'ref-' and lower-case letters, digits or '-', got {ref_id!r}")
    name = _text(data, "name")
    if len(name) > NAME_MAX:
        raise FieldError("name", f"field 'name': expected at most {NAME_MAX} characters, got {len(name)} ({name!r})")
    return Referral(ref_id, name, _text(data, "where"),
                    _texts(data, "numbers", NUMBER_PATTERN, "phone numbers (digits only)"),
                    _texts(data, "questions", None, "non-empty questions"))


def load_referrals(path: Path) -> list[Referral]:
    """Read referrals.jsonl: a missing file means none; any bad line raises CorpusError (file:line)."""
    if not path.exists():
        return []
    referrals: list[Referral] = []
    seen: dict[str, str] = {}
    for where, data in iter_jsonl(path):
        try:
            referral = referral_from_record(data)
        except FieldError as exc:
            raise CorpusError(f"{where}: {exc}") from None
        if referral.id in seen:
            raise CorpusError(f"{where}: duplicate id {referral.id!r} (first at {seen[referral.id]})")
        seen[referral.id] = where
        referrals.append(referral)
    if not referrals:
        raise CorpusError(f"{path}: file is empty; expected one referral per line (delete the file if there are none)")
    return referrals


def write_referrals(path: Path, referrals: list[Referral]) -> None:
    """One line per referral in the given order, every field written; an empty list is refused."""
    if not referrals:
        raise ValueError(f"{path}: no referrals to write; remove the file instead")
    write_text(path, "".join(r.to_json() + "\n" for r in referrals))
