"""Inline keyboards: what each button says; what it does is in callbacks.py."""
from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.answers import texts
from bot.answers.answer import Answer
from bot.answers.browse import (  # moved there; still importable from here
    Category,
    categories,
    list_counts,
)
from bot.answers.render import LIST_BADGE
from bot.channels.telegram import callbacks
from bot.corpus.model import LISTS, Duty

PAGE_SIZE = 8


def _button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data)


def _badge(list_key: str) -> str:
    return LIST_BADGE[list_key].split()[0]


def answer_keyboard(answer: Answer, token: str | None) -> InlineKeyboardMarkup | None:
    """详情 for the answer's item (and each other matter's), the close alternatives by short name, then 👍 / 👎 (with a log token)."""
    rows = []
    if answer.best is not None:
        rows.append([_button(texts.BUTTON_DETAIL, callbacks.full(answer.best.id))])
    # The other matters of a message that raised several: each one's item, in full.
    rows += [[_button(texts.BUTTON_DETAIL_OF.format(short=label), callbacks.full(item_id))]
             for item_id, label in answer.further_items]
    rows += [[_button(f"{_badge(m.list)} {answer.label(m)}", callbacks.item(m.id, token))]
             for m in answer.alternatives]
    if token is not None and answer.wants_feedback:
        rows.append([_button(texts.BUTTON_UP, callbacks.vote(token, "up")),
                     _button(texts.BUTTON_DOWN, callbacks.vote(token, "down"))])
    return InlineKeyboardMarkup(rows) if rows else None


def correction_keyboard(token: str, shown: list[tuple[Duty, str]]) -> InlineKeyboardMarkup:
    """After 👎: which of the items shown was right, or none of them."""
    rows = [[_button(f"{_badge(d.list)} {short}", callbacks.fix(token, d.id))] for d, short in shown]
    rows.append([_button(texts.BUTTON_NONE_RIGHT, callbacks.fix(token, "none"))])
    return InlineKeyboardMarkup(rows)


def detail_keyboard(duty: Duty) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(texts.BUTTON_DETAIL, callbacks.full(duty.id))]])


def examples_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(q, callbacks.ask(i))] for i, q in enumerate(texts.EXAMPLE_QUESTIONS)])


def after_none_keyboard() -> InlineKeyboardMarkup:
    """After "都不对": browse the list instead of a dead end."""
    return InlineKeyboardMarkup([[_button(texts.BUTTON_BROWSE, callbacks.lists())]])


# -- browsing (/list) ----------------------------------------------------------------


def lists_keyboard(duties: list[Duty]) -> InlineKeyboardMarkup:
    counts = list_counts(duties)
    return InlineKeyboardMarkup(
        [[_button(f"{LIST_BADGE[key]}（{counts[key]}项）", callbacks.list_(key))] for key in LISTS if counts[key]]
    )


def categories_keyboard(duties: list[Duty], list_key: str) -> InlineKeyboardMarkup:
    cats = categories(duties, list_key)
    buttons = [_button(f"{c.name}（{len(c.duties)}）", callbacks.category(list_key, i, 0)) for i, c in enumerate(cats)]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    rows.append([_button(texts.BUTTON_BACK, callbacks.lists())])
    return InlineKeyboardMarkup(rows)


def page_count(category: Category) -> int:
    return max(1, -(-len(category.duties) // PAGE_SIZE))


def category_page_keyboard(category: Category, list_key: str, index: int, page: int,
                           short) -> InlineKeyboardMarkup:
    start = page * PAGE_SIZE
    rows = [[_button(f"{_badge(d.list)} {short(d)}", callbacks.item(d.id))]
            for d in category.duties[start:start + PAGE_SIZE]]
    nav = []
    if page > 0:
        nav.append(_button(texts.BUTTON_PREV, callbacks.category(list_key, index, page - 1)))
    if page + 1 < page_count(category):
        nav.append(_button(texts.BUTTON_NEXT, callbacks.category(list_key, index, page + 1)))
    if nav:
        rows.append(nav)
    rows.append([_button(texts.BUTTON_BACK, callbacks.list_(list_key))])
    return InlineKeyboardMarkup(rows)
