"""Inline keyboards and the callback data behind their buttons.

Callback data (at most 64 bytes, so ids and indexes rather than text):
    item:<id>                 show an item's card (from /list)
    item:<id>:<row>           the same, under the answer logged as question <row>
    fb:<row>:up|down          👍 / 👎 on the answer to question <row>
    fix:<row>:<id>|none       after 👎: item <id> was the right one, or none of those shown
    full:<id>                 show an item in full
    ask:<n>                   ask example question n
    lists                     /list: pick a list
    list:<list>               pick a category of a list
    cat:<list>:<n>:<page>     a page of the items of category n of a list
"""
from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.answers import texts
from bot.answers.render import LIST_BADGE, shorten
from bot.corpus.model import LISTS, Duty
from bot.feedback.question_log import NONE_CORRECT
from bot.retrieval.searcher import SearchResult

PAGE_SIZE = 8
BUTTON_TITLE = 30


@dataclass(frozen=True)
class Callback:
    action: str
    args: tuple[str, ...] = ()


_ARITY = {"item": (1, 2), "full": (1,), "ask": (1,), "lists": (0,), "list": (1,), "cat": (3,),
          "fb": (2,), "fix": (2,)}


def parse_callback(data: str | None) -> Callback | None:
    """The button's meaning, or None for data this bot never made (old versions, forgeries)."""
    action, *args = (data or "").split(":")
    if len(args) not in _ARITY.get(action, ()):
        return None
    return Callback(action, tuple(args))


def row_id(text: str) -> int | None:
    """A question-log row id from callback data, or None if it is not one."""
    return int(text) if text.isdecimal() and len(text) <= 18 else None


def _button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data)


def _item_button(duty_id: str, list_key: str, title: str, limit: int = BUTTON_TITLE,
                 row: int | None = None) -> InlineKeyboardButton:
    data = f"item:{duty_id}" if row is None else f"item:{duty_id}:{row}"
    return _button(f"{LIST_BADGE[list_key].split()[0]} {shorten(title, limit)}", data)


def shown_ids(result: SearchResult) -> list[str]:
    """The items an answer shows: the best and up to 3 others, or the closest 3 when not found."""
    if not result.matches or result.note == "empty":
        return []
    return [m.id for m in (result.matches[:4] if result.answered else result.matches[:3])]


def answer_keyboard(result: SearchResult, row: int | None = None) -> InlineKeyboardMarkup | None:
    """Answered: 详情 for the best item, then up to 3 other items. Not found: the closest 3.

    With the answer's question-log row: the item buttons carry it, and 👍 / 👎 come last.
    """
    if not result.matches or result.note == "empty":
        return None
    rows = []
    if result.answered:
        best, others = result.matches[0], result.matches[1:4]
        rows.append([_button(texts.BUTTON_DETAIL, f"full:{best.id}")])
    else:
        others = result.matches[:3]
    rows += [[_item_button(m.id, m.list, m.title, row=row)] for m in others]
    if row is not None:
        rows.append([_button(texts.BUTTON_UP, f"fb:{row}:up"), _button(texts.BUTTON_DOWN, f"fb:{row}:down")])
    return InlineKeyboardMarkup(rows)


def correction_keyboard(row: int, duties: list[Duty]) -> InlineKeyboardMarkup:
    """After 👎: which of the items shown was right, or none of them."""
    rows = [[_button(f"{LIST_BADGE[d.list].split()[0]} {shorten(d.display_title, BUTTON_TITLE)}",
                     f"fix:{row}:{d.id}")] for d in duties]
    rows.append([_button(texts.BUTTON_NONE_RIGHT, f"fix:{row}:{NONE_CORRECT}")])
    return InlineKeyboardMarkup(rows)


def detail_keyboard(duty: Duty) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(texts.BUTTON_DETAIL, f"full:{duty.id}")]])


def examples_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(q, f"ask:{i}")] for i, q in enumerate(texts.EXAMPLE_QUESTIONS)])


# -- browsing (/list) ----------------------------------------------------------------


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


def lists_keyboard(duties: list[Duty]) -> InlineKeyboardMarkup:
    counts = {key: sum(d.list == key for d in duties) for key in LISTS}
    return InlineKeyboardMarkup(
        [[_button(f"{LIST_BADGE[key]}（{counts[key]}项）", f"list:{key}")] for key in LISTS if counts[key]]
    )


def categories_keyboard(duties: list[Duty], list_key: str) -> InlineKeyboardMarkup:
    cats = categories(duties, list_key)
    buttons = [_button(f"{c.name}（{len(c.duties)}）", f"cat:{list_key}:{i}:0") for i, c in enumerate(cats)]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    rows.append([_button(texts.BUTTON_BACK, "lists")])
    return InlineKeyboardMarkup(rows)


def page_count(category: Category) -> int:
    return max(1, -(-len(category.duties) // PAGE_SIZE))


def category_page_keyboard(category: Category, list_key: str, index: int, page: int) -> InlineKeyboardMarkup:
    start = page * PAGE_SIZE
    rows = [[_item_button(d.id, d.list, d.display_title, 40)] for d in category.duties[start:start + PAGE_SIZE]]
    nav = []
    if page > 0:
        nav.append(_button(texts.BUTTON_PREV, f"cat:{list_key}:{index}:{page - 1}"))
    if page + 1 < page_count(category):
        nav.append(_button(texts.BUTTON_NEXT, f"cat:{list_key}:{index}:{page + 1}"))
    if nav:
        rows.append(nav)
    rows.append([_button(texts.BUTTON_BACK, f"list:{list_key}")])
    return InlineKeyboardMarkup(rows)
