"""One handler per kind of button (CallbackQueryHandler(pattern=…), see callbacks.py).

A button whose item, category or page no longer exists (the list changed since it was
sent) gets the stale-button notice, as does data this bot never made.
"""
from __future__ import annotations

import logging

from telegram import CallbackQuery, Update
from telegram.constants import ChatType

from bot.answers import texts
from bot.answers.render import LIST_BADGE, e, format_duty_card, format_duty_detail
from bot.channels.telegram.context import Context
from bot.channels.telegram.handlers import Asker, answer_question
from bot.channels.telegram.keyboards import (
    after_none_keyboard,
    categories,
    categories_keyboard,
    category_page_keyboard,
    correction_keyboard,
    detail_keyboard,
    lists_keyboard,
    page_count,
)
from bot.corpus.model import LISTS
from bot.feedback.usage import Owned

log = logging.getLogger(__name__)


def _fields(context: Context) -> dict[str, str]:
    return context.matches[0].groupdict() if context.matches else {}


async def _stale(query: CallbackQuery, context: Context) -> None:
    await context.bot_data.delivery.answer_query(query, texts.STALE_BUTTON)


def _query(update: Update) -> CallbackQuery:
    assert update.callback_query is not None and update.callback_query.message is not None
    return update.callback_query


def _chat_id(query: CallbackQuery) -> int:
    assert query.message is not None  # CallbackQueryHandlers only get taps on messages (see _query)
    return query.message.chat.id


async def on_item(update: Update, context: Context) -> None:
    """An item from /list or an alternative under an answer: its card."""
    query, fields, data = _query(update), _fields(context), context.bot_data
    duty = data.engine.duty(fields["id"])
    if duty is None:  # the item left the list since the button was made
        await _stale(query, context)
        return
    await data.delivery.answer_query(query)
    await data.delivery.send_html(context.bot, _chat_id(query), format_duty_card(duty, data.engine.short(duty)),
                                  detail_keyboard(duty))
    token = fields.get("token")
    if token and (await data.usage.owned(token, query.from_user.id)).by_asker:
        data.usage.tap(token, duty.id)  # the asker looked at another item: worth knowing


async def on_full(update: Update, context: Context) -> None:
    query, data = _query(update), context.bot_data
    duty = data.engine.duty(_fields(context)["id"])
    if duty is None:
        await _stale(query, context)
        return
    await data.delivery.answer_query(query)
    await data.delivery.send_html(context.bot, _chat_id(query), format_duty_detail(duty, data.engine.short(duty)))


async def on_ask(update: Update, context: Context) -> None:
    query = _query(update)
    index = int(_fields(context)["n"])
    if index >= len(texts.EXAMPLE_QUESTIONS):
        await _stale(query, context)
        return
    await context.bot_data.delivery.answer_query(query)
    await answer_question(context, Asker(_chat_id(query), query.from_user.id), texts.EXAMPLE_QUESTIONS[index],
                         echo=True)


async def on_lists(update: Update, context: Context) -> None:
    query, data = _query(update), context.bot_data
    searcher = data.holder.searcher
    if searcher is None:
        await _stale(query, context)
        return
    await data.delivery.answer_query(query)
    await data.delivery.edit_html(query, texts.LIST_PICK, lists_keyboard(searcher.duties))


async def on_list(update: Update, context: Context) -> None:
    query, data = _query(update), context.bot_data
    list_key = _fields(context)["list"]
    searcher = data.holder.searcher
    if searcher is None or list_key not in LISTS:
        await _stale(query, context)
        return
    await data.delivery.answer_query(query)
    await data.delivery.edit_html(query, texts.CATEGORY_PICK.format(badge=LIST_BADGE[list_key]),
                                  categories_keyboard(searcher.duties, list_key))


async def on_category(update: Update, context: Context) -> None:
    query, fields, data = _query(update), _fields(context), context.bot_data
    searcher = data.holder.searcher
    list_key, index, page = fields["list"], int(fields["n"]), int(fields["page"])
    cats = categories(searcher.duties, list_key) if searcher else []
    if index >= len(cats) or page >= page_count(cats[index]):
        await _stale(query, context)  # the list changed since the button was made
        return
    category = cats[index]
    await data.delivery.answer_query(query)
    html = texts.CATEGORY_PAGE.format(badge=LIST_BADGE[list_key], category=e(category.name),
                                      count=len(category.duties), page=page + 1, pages=page_count(category))
    await data.delivery.edit_html(query, html, category_page_keyboard(category, list_key, index, page,
                                                                       data.engine.short))


async def _asker_only(query: CallbackQuery, context: Context, token: str) -> Owned | None:
    """The answer's log entry if the tapper asked it; otherwise tells them why not."""
    delivery = context.bot_data.delivery
    owned = await context.bot_data.usage.owned(token, query.from_user.id)
    if owned.question is None:
        await delivery.answer_query(query, texts.FEEDBACK_LOST)
        return None
    if not owned.by_asker:  # in a group, a colleague tapped under someone else's answer
        await delivery.answer_query(query, texts.FEEDBACK_NOT_YOURS, alert=True)
        return None
    return owned


async def on_vote(update: Update, context: Context) -> None:
    """👍: thanks. 👎: which of the items shown was right (or none). The last vote counts."""
    query, fields, data = _query(update), _fields(context), context.bot_data
    owned = await _asker_only(query, context, fields["token"])
    if owned is None or owned.question is None:
        return
    data.usage.feedback(fields["token"], fields["value"])
    if fields["value"] == "up":
        await data.delivery.answer_query(query, texts.THANKS_UP)
        return
    await data.delivery.answer_query(query, texts.THANKS_DOWN)
    shown = [(d, data.engine.short(d)) for d in (data.engine.duty(i) for i in owned.question.shown) if d is not None]
    message = query.message
    assert message is not None
    reply_to = message.message_id if message.chat.type != ChatType.PRIVATE else None
    await data.delivery.send_html(context.bot, message.chat.id, texts.PICK_RIGHT,
                                  correction_keyboard(fields["token"], shown), reply_to=reply_to)


async def on_fix(update: Update, context: Context) -> None:
    """After 👎: the item the asker says was right (what scripts/learn.py learns from), or none."""
    query, fields, data = _query(update), _fields(context), context.bot_data
    item = fields["id"]
    duty = data.engine.duty(item) if item != "none" else None
    if item != "none" and duty is None:
        await _stale(query, context)
        return
    owned = await _asker_only(query, context, fields["token"])
    if owned is None or owned.question is None:
        return
    if duty is not None and duty.id not in owned.question.shown:
        await _stale(query, context)  # not a button this bot made for that answer
        return
    data.usage.correction(fields["token"], item)
    await data.delivery.answer_query(query, texts.THANKS_FIX)
    if duty is None:
        await data.delivery.edit_html(query, texts.FIXED_NONE, after_none_keyboard())
        return
    short = data.engine.short(duty)
    await data.delivery.edit_html(query, texts.FIXED.format(title=e(short)))
    await data.delivery.send_html(context.bot, _chat_id(query), format_duty_card(duty, short),
                                  detail_keyboard(duty))


async def on_stale(update: Update, context: Context) -> None:
    """Any other button: made by an older version, or forged."""
    if update.callback_query is not None:
        await _stale(update.callback_query, context)
