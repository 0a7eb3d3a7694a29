"""Browsing the town's list by list and category: pure data, shared by every channel.

Telegram pages categories into inline keyboards; the web page lists them as links. Both
address a category by its position in its list, in the order the published list gives them.
"""
from __future__ import annotations

from dataclasses import dataclass

from bot.corpus.model import LISTS, Duty


@dataclass(frozen=True)
class Category:
    name: str
    duties: tuple[Duty, ...]


def categories(duties: list[Duty], list_key: str) -> list[Category]:
    """A list's categories in the order the published list gives them."""
    grouped: dict[str, list[Duty]] = {}
    for d in duties:
        if d.list == list_key:
            grouped.setdefault(d.category, []).append(d)
    return [Category(name, tuple(items)) for name, items in grouped.items()]


def list_counts(duties: list[Duty]) -> dict[str, int]:
    """Items per list, in LISTS order (lists without items included, with 0)."""
    return {key: sum(d.list == key for d in duties) for key in LISTS}
