"""Clean a question once, and find the question in a long spoken message.

Voice input puts greetings and background first and the question last ("那个 嗯 我问一下啊
… 这事归谁管"). Cutting at the first N characters would keep the greeting and drop the
question; instead a message longer than the limit (MAX_QUESTION_CHARS, 500) is split into
clauses, filler clauses are dropped, and the clauses are kept from the end (where the question
is) until the limit is reached. A long message also yields its ask, its last clauses alone,
which the searcher reads for a danger that a calm background may dilute.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_MEANINGFUL = re.compile(r"[\u3400-\u9fffA-Za-z0-9]")
_CLAUSE_END = re.compile(r"(?<=[。！？!?；;，,\n ])")
# Clauses that carry nothing but politeness or hesitation.
_FILLER = re.compile(
    r"^(那个|这个|就是|嗯+|啊+|呃+|哎+|诶|喂|你好|您好|大家好|领导好|同志|打扰了?|麻烦(问一下|您|你)?|"
    r"请问|我问(一下|问)?啊?|我想问(一下|问)?|问(一下|个事)?|是这样(的|啊)?|咋说呢|怎么说呢|谢谢|多谢|"
    r"[，,。.！!？? ]|我跟你说|你听我说|对吧|然后)*$"
)
_QUESTION_MARK = re.compile(r"[？?]|吗|呢|么|咋|怎么|怎样|谁|哪|啥|什么|能不能|可不可以|行不行|是不是|有没有|归不归|管不管|该不该|[不没啊]$")


ASK_CHARS = 30  # the ask of a long message: its question clause and what leads up to it
# From this length a message also has an ask: two or three sentences of background already
# dilute "河里有个孩子掉进去了" below the alarm (the emergency model's own tail length).
ASK_FROM = 80
MIN_PIECE = 10  # the shortest end of a clause worth keeping to fill the limit


@dataclass(frozen=True)
class Prepared:
    text: str  # what gets searched
    note: str = ""  # "empty": nothing to search; "truncated": a part of a long message was used
    ask: str = ""  # for a message longer than ASK_FROM, its last few clauses alone (read for danger)


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"\s+", " ", text).strip()


def clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSE_END.split(text) if c.strip()]


def _content(clause: str) -> bool:
    return bool(_MEANINGFUL.search(clause)) and not _FILLER.match(clause)


def prepare(question: str, max_chars: int) -> Prepared:
    """The text to search for: normalised, and for a long message its question part."""
    text = normalise(question)
    if not _MEANINGFUL.search(text):
        return Prepared("", "empty")
    if len(text) <= ASK_FROM:
        return Prepared(text)
    parts = [c for c in clauses(text) if _content(c)] or [text]
    # The last clause with a question word ends the question; keep what leads up to it.
    last_q = max((i for i, c in enumerate(parts) if _QUESTION_MARK.search(c)), default=len(parts) - 1)
    asked = parts[:last_q + 1]
    ask = _tail(asked, min(ASK_CHARS, max_chars))
    if len(text) <= max_chars:  # searched whole, and by its ask
        return Prepared(text, "", ask)
    return Prepared(_tail(asked, max_chars), "truncated", ask)


def _tail(parts: list[str], limit: int) -> str:
    """The last clauses that fit in `limit` characters (the end of one clause if none fits)."""
    kept: list[str] = []
    used = 0
    for clause in reversed(parts):
        if used + len(clause) + bool(kept) > limit:
            # The clause that does not fit still gives its end, up to the limit: a long run-on
            # without punctuation before a short question is what the question is about.
            room = limit - used - bool(kept)
            if room >= MIN_PIECE or not kept:
                kept.insert(0, clause[-room:] if room > 0 else clause[-limit:])
            break
        kept.insert(0, clause)
        used += len(clause) + (len(kept) > 1)
    return " ".join(kept)
