"""Callback data of the bot's buttons: each kind's encoding and parsing, side by side.

Telegram allows 64 bytes, so buttons carry ids and indexes, never text:

    item:<id>[:<token>]        show an item (from /list; under an answer, with the answer's token)
    full:<id>                  show an item in full
    ask:<n>                    ask example question n
    lists                      /list: pick a list
    list:<list>                pick a category of a list
    cat:<list>:<n>:<page>      a page of the items of category n of a list
    fb:<token>:up|down         👍 / 👎 on the answer with that token
    fix:<token>:<id>|none      after 👎: item <id> was the right one, or none of those shown

Each kind has a handler of its own, registered with CallbackQueryHandler(pattern=KIND.pattern);
`parse` returns None for data this bot never made (old versions, forgeries), which the
stale-button handler answers.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_ID = r"(?:basic|coop|returned)-\d{3}"
_TOKEN = r"[0-9a-f]{12}|row\d{1,18}"
_LIST = r"basic|coop|returned"


@dataclass(frozen=True)
class Kind:
    name: str
    regex: str  # the whole data, with named groups

    @property
    def pattern(self) -> re.Pattern:
        return re.compile(rf"^{self.regex}$")

    def parse(self, data: str | None) -> dict[str, str] | None:
        found = self.pattern.match(data or "")
        return found.groupdict() if found else None


ITEM = Kind("item", rf"item:(?P<id>{_ID})(?::(?P<token>{_TOKEN}))?")
FULL = Kind("full", rf"full:(?P<id>{_ID})")
ASK = Kind("ask", r"ask:(?P<n>\d{1,2})")
LISTS = Kind("lists", r"lists")
LIST = Kind("list", rf"list:(?P<list>{_LIST})")
CATEGORY = Kind("cat", rf"cat:(?P<list>{_LIST}):(?P<n>\d{{1,3}}):(?P<page>\d{{1,3}})")
VOTE = Kind("fb", rf"fb:(?P<token>{_TOKEN}):(?P<value>up|down)")
FIX = Kind("fix", rf"fix:(?P<token>{_TOKEN}):(?P<id>{_ID}|none)")
KINDS = (ITEM, FULL, ASK, LISTS, LIST, CATEGORY, VOTE, FIX)


def item(duty_id: str, token: str | None = None) -> str:
    return f"item:{duty_id}" if token is None else f"item:{duty_id}:{token}"


def full(duty_id: str) -> str:
    return f"full:{duty_id}"


def ask(n: int) -> str:
    return f"ask:{n}"


def lists() -> str:
    return "lists"


def list_(list_key: str) -> str:
    return f"list:{list_key}"


def category(list_key: str, n: int, page: int) -> str:
    return f"cat:{list_key}:{n}:{page}"


def vote(token: str, value: str) -> str:
    return f"fb:{token}:{value}"


def fix(token: str, duty_id: str) -> str:
    return f"fix:{token}:{duty_id}"


def parse(data: str | None) -> tuple[Kind, dict[str, str]] | None:
    """Which kind of button this data belongs to, and its fields."""
    for kind in KINDS:
        fields = kind.parse(data)
        if fields is not None:
            return kind, fields
    return None
