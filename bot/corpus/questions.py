"""Example questions: `corpus/questions.jsonl`, one `{"id", "q", "style", "source"}` object per line.

`id` is the item (`basic-001`, …) or the out-of-list referral (`ref-…`) the question
should find. `source` says where the question came from:

- `list`: written from the list's own texts (lines written before `source` existed,
  and lines saying `written`, read as `list`);
- `life`: written from what staff actually run into;
- `learned`: confirmed in use (scripts/learn.py).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bot.corpus.model import CorpusError, iter_jsonl, write_text

SOURCES = ("list", "life", "learned")
# Older spellings of a source, read as the current one.
SOURCE_ALIASES = {"written": "list"}


@dataclass(frozen=True)
class ExampleQuestion:
    id: str
    q: str
    style: str = ""
    source: str = "list"

    def to_json(self) -> str:
        data = {"id": self.id, "q": self.q}
        if self.style:
            data["style"] = self.style
        data["source"] = self.source
        return json.dumps(data, ensure_ascii=False)


def parse_source(raw: object) -> str:
    """A `source` value as stored (missing means `list`); ValueError says what is allowed."""
    if raw is None:
        return "list"
    if not isinstance(raw, str) or SOURCE_ALIASES.get(raw, raw) not in SOURCES:
        raise ValueError(f"\"source\" must be one of {', '.join(SOURCES)}, got {raw!r}")
    return SOURCE_ALIASES.get(raw, raw)


def load_questions(path: Path, known_ids: set[str]) -> list[ExampleQuestion]:
    """Read questions.jsonl; a bad line raises CorpusError naming file and line.

    A missing file means no example questions; an existing file without any is an
    error (a file emptied by mistake should not silently drop every question).
    """
    if not path.exists():
        return []
    out = []
    for where, data in iter_jsonl(path):
        if not isinstance(data.get("q"), str) or not data["q"].strip():
            raise CorpusError(f"{where}: expected an object with a non-empty \"q\"")
        if data.get("id") not in known_ids:
            raise CorpusError(f"{where}: unknown item id {data.get('id')!r}")
        style = data.get("style", "")
        if not isinstance(style, str):
            raise CorpusError(f"{where}: \"style\" must be a string, got {style!r}")
        try:
            source = parse_source(data.get("source"))
        except ValueError as exc:
            raise CorpusError(f"{where}: {exc}") from None
        out.append(ExampleQuestion(data["id"], data["q"].strip(), style, source))
    if not out:
        raise CorpusError(f"{path}: file is empty; expected one question per line (delete the file if there are none)")
    return out


def write_questions(path: Path, questions: list[ExampleQuestion]) -> None:
    """Write questions.jsonl: one line per question, in the given order; an empty style is left out.

    An empty list is refused: load_questions rejects an empty file (remove the file instead).
    """
    if not questions:
        raise ValueError(f"{path}: no questions to write; remove the file instead")
    write_text(path, "".join(q.to_json() + "\n" for q in questions))
