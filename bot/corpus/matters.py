"""Matters: items of the list that belong together, `corpus/matters.jsonl`.

One JSON object per line, e.g. `{"name": "高龄津贴", "items": ["basic-048", "returned-009"]}`:
what staff think of as one matter, split over several items of the list (the
town's part, a cooperating part, the part an upper department took back). A matter
groups at least two items, every item is a known id, an item belongs to at most
one matter, and names are unique.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bot.corpus.model import CorpusError, FieldError, iter_jsonl, write_text

FIELDS = ("name", "items")


@dataclass(frozen=True)
class Matter:
    name: str
    items: tuple[str, ...]

    def to_json(self) -> str:
        return json.dumps({"name": self.name, "items": list(self.items)}, ensure_ascii=False)


def matter_from_record(data: dict, known_ids: set[str]) -> Matter:
    """One matters.jsonl object -> Matter; FieldError names the field that is wrong."""
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise FieldError(unknown[0], f"unexpected field {unknown[0]!r}; expected only {', '.join(FIELDS)}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise FieldError("name", f"field 'name': expected a non-empty string, got {name!r}")
    items = data.get("items")
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise FieldError("items", f"field 'items': expected a list of item ids, got {items!r}")
    if len(items) < 2:
        raise FieldError("items", f"field 'items': expected at least 2 item ids, got {len(items)}")
    for item in items:
        if item not in known_ids:
            raise FieldError("items", f"field 'items': unknown item id {item!r}")
    twice = next((i for n, i in enumerate(items) if i in items[:n]), None)
    if twice:
        raise FieldError("items", f"field 'items': {twice!r} listed twice")
    return Matter(name.strip(), tuple(items))


def load_matters(path: Path, known_ids: set[str]) -> list[Matter]:
    """Read matters.jsonl: a missing file means none; any bad line raises CorpusError (file:line)."""
    if not path.exists():
        return []
    matters: list[Matter] = []
    names: dict[str, str] = {}
    owner: dict[str, tuple[str, str]] = {}
    for where, data in iter_jsonl(path):
        try:
            matter = matter_from_record(data, known_ids)
        except FieldError as exc:
            raise CorpusError(f"{where}: {exc}") from None
        if matter.name in names:
            raise CorpusError(f"{where}: duplicate name {matter.name!r} (first at {names[matter.name]})")
        names[matter.name] = where
        for item in matter.items:
            if item in owner:
                other, other_where = owner[item]
                raise CorpusError(f"{where}: item {item!r} is already in matter {other!r} ({other_where}); "
                                  "an item belongs to at most one matter")
            owner[item] = (matter.name, where)
        matters.append(matter)
    if not matters:
        raise CorpusError(f"{path}: file is empty; expected one matter per line (delete the file if there are none)")
    return matters


def write_matters(path: Path, matters: list[Matter]) -> None:
    """One line per matter in the given order; an empty list is refused."""
    if not matters:
        raise ValueError(f"{path}: no matters to write; remove the file instead")
    write_text(path, "".join(m.to_json() + "\n" for m in matters))
