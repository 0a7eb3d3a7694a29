"""The bot's update handlers: commands, questions, other messages, buttons, errors.

Every handler first decides whether the update is for the bot at all (group chats),
then whether the user may use it, and only then touches the duty list.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from telegram import CallbackQuery, Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.error import Conflict, NetworkError, TelegramError
from telegram.ext import ContextTypes

from bot.answers import texts
from bot.answers.render import (
    LIST_BADGE,
    e,
    format_answer,
    format_duty_card,
    format_duty_detail,
    shorten,
)
from bot.channels.rate_limit import RateLimiter
from bot.channels.telegram.access import AccessGate
from bot.channels.telegram.keyboards import (
    answer_keyboard,
    categories,
    categories_keyboard,
    category_page_keyboard,
    correction_keyboard,
    detail_keyboard,
    examples_keyboard,
    lists_keyboard,
    page_count,
    parse_callback,
    row_id,
    shown_ids,
)
from bot.channels.telegram.sending import answer_query, edit_html, send_html
from bot.corpus.model import LISTS, CorpusError
from bot.feedback.question_log import NONE_CORRECT, QuestionLog
from bot.feedback.report import problems_text, stats_text
from bot.feedback.usage import UsageLog
from bot.retrieval.live import SearcherHolder
from bot.retrieval.searcher import Searcher, clean_question
from bot.retrieval.store import IndexUnavailable
from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class BotState:
    """Everything the handlers share; lives in application.bot_data["state"]."""

    settings: Settings
    holder: SearcherHolder
    gate: AccessGate
    limiter: RateLimiter
    qlog: QuestionLog | None = None
    usage: UsageLog = field(init=False)

    def __post_init__(self) -> None:
        self.usage = UsageLog(self.qlog)


@dataclass(frozen=True)
class Asker:
    """Where an answer goes: the chat, who asked (for the limit), which message to quote in groups."""

    chat_id: int
    user_id: int
    reply_to: int | None = None


def state(context: ContextTypes.DEFAULT_TYPE) -> BotState:
    return context.bot_data["state"]


def _asker(message: Message, user_id: int) -> Asker:
    in_group = message.chat.type != ChatType.PRIVATE
    return Asker(message.chat.id, user_id, message.message_id if in_group else None)


def _replies_to_bot(message: Message, bot_id: int) -> bool:
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == bot_id)


def addressed_text(message: Message, bot_id: int, bot_username: str) -> str | None:
    """The question, or None when a group message is not meant for the bot.

    In groups the bot answers only when @mentioned or replied to; the mention is removed
    so it does not become part of the question.
    """
    text = message.text or ""
    if message.chat.type == ChatType.PRIVATE:
        return text
    mention = f"@{bot_username}".lower()
    found = message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION])
    ours = [value for entity, value in found.items()
            if (entity.type == MessageEntity.MENTION and value.lower() == mention)
            or (entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id)]
    if not ours and not _replies_to_bot(message, bot_id):
        return None
    for value in ours:
        text = re.sub(re.escape(value), " ", text, flags=re.IGNORECASE)
    return text


async def admitted(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """True for allowed users; others get one polite refusal (now and then) and no data."""
    user = update.effective_user
    gate = state(context).gate
    if user is not None and gate.allows(user.id):
        return True
    if update.callback_query:
        await answer_query(update.callback_query, texts.REFUSED_SHORT, alert=True)
    elif user is not None and update.effective_chat and gate.should_tell_refusal(user.id):
        log.info("refused a user outside ALLOWED_USER_IDS")
        await send_html(context.bot, update.effective_chat.id, texts.REFUSED.format(user_id=user.id))
    return False


def _searcher(context: ContextTypes.DEFAULT_TYPE) -> Searcher | None:
    return state(context).holder.searcher


# -- questions ------------------------------------------------------------------------


async def answer_question(context: ContextTypes.DEFAULT_TYPE, asker: Asker, question: str,
                          echo: bool = False) -> None:
    st = state(context)
    cleaned, _ = clean_question(question, st.settings.max_question_chars)
    if not cleaned:  # whitespace, emoji, punctuation: nothing to search for
        await send_html(context.bot, asker.chat_id, texts.ASK_FOR_QUESTION, reply_to=asker.reply_to)
        return
    decision = st.limiter.check(asker.user_id)
    if not decision.allowed:
        if decision.notify:
            await send_html(context.bot, asker.chat_id, texts.RATE_LIMITED.format(
                seconds=decision.wait_seconds, limit=st.settings.rate_limit_per_minute), reply_to=asker.reply_to)
        return
    searcher = _searcher(context)
    if searcher is None:
        await send_html(context.bot, asker.chat_id, texts.NOT_STARTED, reply_to=asker.reply_to)
        return
    started = time.perf_counter()
    # Embedding and search are CPU work: keep them off the event loop so others are served meanwhile.
    result = await asyncio.to_thread(searcher.search, question, st.settings.top_k)
    log.info("question searched in %.0f ms: answered=%s best=%s", (time.perf_counter() - started) * 1000,
             result.answered, result.matches[0].id if result.matches else "-")
    html = format_answer(result)
    if echo:
        html = f"<i>问：{e(question)}</i>\n\n{html}"
    # The row id is reserved in memory; the row is written after the reply, off the event loop.
    row = st.usage.reserve()
    try:
        await send_html(context.bot, asker.chat_id, html, answer_keyboard(result, row), reply_to=asker.reply_to)
    finally:
        await st.usage.question(row, asker.user_id, cleaned, result.answered, shown_ids(result))


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A text message (new or edited) is a question."""
    message = update.effective_message
    question = addressed_text(message, context.bot.id, context.bot.username)
    if question is None or not await admitted(update, context):
        return
    await answer_question(context, _asker(message, update.effective_user.id), question)


async def on_non_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice, video, files, locations…: ask for typed text."""
    message = update.effective_message
    if message.chat.type != ChatType.PRIVATE and not _replies_to_bot(message, context.bot.id):
        return
    if not await admitted(update, context):
        return
    await send_html(context.bot, message.chat.id, texts.ASK_FOR_TEXT,
                    reply_to=_asker(message, update.effective_user.id).reply_to)


# -- commands ---------------------------------------------------------------------------


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not await admitted(update, context):
        return
    message = update.effective_message
    await send_html(context.bot, message.chat.id, texts.START, examples_keyboard(),
                    reply_to=_asker(message, update.effective_user.id).reply_to)


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not await admitted(update, context):
        return
    st = state(context)
    html = texts.HELP.format(max_chars=st.settings.max_question_chars)
    if st.gate.is_admin(update.effective_user.id):
        html += texts.HELP_ADMIN
    message = update.effective_message
    await send_html(context.bot, message.chat.id, html, reply_to=_asker(message, update.effective_user.id).reply_to)


async def on_list(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not await admitted(update, context):
        return
    searcher = _searcher(context)
    message = update.effective_message
    if searcher is None:
        await send_html(context.bot, message.chat.id, texts.NOT_STARTED)
        return
    await send_html(context.bot, message.chat.id, texts.LIST_PICK, lists_keyboard(searcher.duties),
                    reply_to=_asker(message, update.effective_user.id).reply_to)


async def _admin_command(update: Update, context: ContextTypes.DEFAULT_TYPE, command: str) -> bool:
    """True for admins; allowed users who are not admins are told so, strangers as usual."""
    if not await admitted(update, context):
        return False
    if not state(context).gate.is_admin(update.effective_user.id):
        await send_html(context.bot, update.effective_chat.id, texts.ADMIN_ONLY.format(command=command))
        return False
    return True


async def on_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Admins: questions today and in 7 days, answered rate, top items, 👎 rate."""
    if not await _admin_command(update, context, "/stats"):
        return
    st = state(context)
    if not st.usage.available:
        html = texts.LOG_UNAVAILABLE
    else:
        searcher = _searcher(context)
        titles = {d.id: d.display_title for d in searcher.duties} if searcher else {}
        html = await asyncio.to_thread(stats_text, st.qlog, titles)
    await send_html(context.bot, update.effective_chat.id, html)


async def on_unanswered(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Admins: recent not-found and 👎 questions."""
    if not await _admin_command(update, context, "/unanswered"):
        return
    st = state(context)
    html = await asyncio.to_thread(problems_text, st.qlog) if st.usage.available else texts.LOG_UNAVAILABLE
    await send_html(context.bot, update.effective_chat.id, html)


async def on_reload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Admins: switch to the rebuilt index now (rebuilding it first if the corpus changed)."""
    if not await _admin_command(update, context, "/reload"):
        return
    st = state(context)
    chat_id = update.effective_chat.id
    await send_html(context.bot, chat_id, texts.RELOADING)
    try:
        outcome = await st.holder.reload()
    except (IndexUnavailable, CorpusError, OSError, ValueError) as exc:
        log.warning("admin /reload failed: %s", exc)
        await send_html(context.bot, chat_id, texts.RELOAD_FAILED.format(reason=e(str(exc))))
        return
    meta = outcome.meta
    template = texts.RELOADED if outcome.changed else texts.RELOAD_UNCHANGED
    await send_html(context.bot, chat_id, template.format(items=meta.items, built_at=e(meta.built_at),
                                                          build_id=e(meta.build_id)))


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not await admitted(update, context):
        return
    await send_html(context.bot, update.effective_chat.id, texts.UNKNOWN_COMMAND)


# -- buttons -----------------------------------------------------------------------------


ButtonAction = Callable[[CallbackQuery, ContextTypes.DEFAULT_TYPE, Searcher, tuple[str, ...]], Awaitable[bool]]


async def _show_card(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, searcher: Searcher,
                     args: tuple[str, ...]) -> bool:
    duty = searcher.duty(args[0])
    if duty is None:  # the item left the list since the button was made
        return False
    await answer_query(query)
    await send_html(context.bot, query.message.chat.id, format_duty_card(duty), detail_keyboard(duty))
    row = row_id(args[1]) if len(args) == 2 else None
    if row is not None:  # an other-item button under an answer: note that the asker looked at it
        await state(context).usage.tap(row, query.from_user.id, duty.id)
    return True


async def _owned_row(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, row: int):
    """The logged question if the tapper asked it; otherwise tells them why not and returns None."""
    owned = await state(context).usage.owned(row, query.from_user.id)
    if owned.question is None:
        await answer_query(query, texts.FEEDBACK_LOST)
        return None
    if not owned.by_tapper:  # in a group, a colleague tapped under someone else's answer
        await answer_query(query, texts.FEEDBACK_NOT_YOURS, alert=True)
        return None
    return owned.question


async def _feedback(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, searcher: Searcher,
                    args: tuple[str, ...]) -> bool:
    """👍: thank. 👎: ask which of the items shown was right (or none)."""
    row, value = row_id(args[0]), args[1]
    if row is None or value not in ("up", "down"):
        return False
    logged = await _owned_row(query, context, row)
    if logged is None:
        return True
    await state(context).usage.feedback(row, value)
    if value == "up":
        await answer_query(query, texts.THANKS_UP)
        return True
    await answer_query(query)
    shown = [d for d in (searcher.duty(i) for i in logged.shown) if d is not None]
    message = query.message
    reply_to = message.message_id if message.chat.type != ChatType.PRIVATE else None
    await send_html(context.bot, message.chat.id, texts.PICK_RIGHT, correction_keyboard(row, shown),
                    reply_to=reply_to)
    return True


async def _correction(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, searcher: Searcher,
                      args: tuple[str, ...]) -> bool:
    """After 👎: the item the asker says was right (what scripts/learn.py learns from), or none."""
    row, item = row_id(args[0]), args[1]
    if row is None:
        return False
    duty = searcher.duty(item) if item != NONE_CORRECT else None
    if item != NONE_CORRECT and duty is None:
        return False
    logged = await _owned_row(query, context, row)
    if logged is None:
        return True
    if duty is not None and duty.id not in logged.shown:
        return False  # not a button this bot made for that answer
    await state(context).usage.correction(row, item)
    await answer_query(query, texts.THANKS_FIX)
    html = texts.FIXED.format(title=e(shorten(duty.display_title, 40))) if duty else texts.FIXED_NONE
    await edit_html(query, html)
    return True


async def _show_detail(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, searcher: Searcher,
                       args: tuple[str, ...]) -> bool:
    duty = searcher.duty(args[0])
    if duty is None:
        return False
    await answer_query(query)
    await send_html(context.bot, query.message.chat.id, format_duty_detail(duty))
    return True


async def _ask_example(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, searcher: Searcher,
                       args: tuple[str, ...]) -> bool:
    index = int(args[0]) if args[0].isdecimal() else -1
    if not 0 <= index < len(texts.EXAMPLE_QUESTIONS):
        return False
    await answer_query(query)
    asker = Asker(query.message.chat.id, query.from_user.id)
    await answer_question(context, asker, texts.EXAMPLE_QUESTIONS[index], echo=True)
    return True


async def _browse_lists(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, searcher: Searcher,
                        args: tuple[str, ...]) -> bool:
    await answer_query(query)
    await edit_html(query, texts.LIST_PICK, lists_keyboard(searcher.duties))
    return True


async def _browse_list(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, searcher: Searcher,
                       args: tuple[str, ...]) -> bool:
    list_key = args[0]
    if list_key not in LISTS:
        return False
    await answer_query(query)
    await edit_html(query, texts.CATEGORY_PICK.format(badge=LIST_BADGE[list_key]),
                    categories_keyboard(searcher.duties, list_key))
    return True


async def _browse_category(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, searcher: Searcher,
                           args: tuple[str, ...]) -> bool:
    list_key, index, page = args[0], args[1], args[2]
    if list_key not in LISTS or not (index.isdecimal() and page.isdecimal()):
        return False
    index, page = int(index), int(page)
    cats = categories(searcher.duties, list_key)
    if index >= len(cats) or page >= page_count(cats[index]):
        return False  # the list changed since the button was made
    category = cats[index]
    await answer_query(query)
    html = texts.CATEGORY_PAGE.format(badge=LIST_BADGE[list_key], category=e(category.name),
                                      count=len(category.duties), page=page + 1, pages=page_count(category))
    await edit_html(query, html, category_page_keyboard(category, list_key, index, page))
    return True


BUTTON_ACTIONS: dict[str, ButtonAction] = {
    "item": _show_card, "full": _show_detail, "ask": _ask_example,
    "lists": _browse_lists, "list": _browse_list, "cat": _browse_category,
    "fb": _feedback, "fix": _correction,
}


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tapped inline button; see keyboards.py for what each callback data means."""
    query = update.callback_query
    if not await admitted(update, context):
        return
    callback = parse_callback(query.data)
    searcher = _searcher(context)
    handled = False
    if callback is not None and searcher is not None and query.message is not None:
        handled = await BUTTON_ACTIONS[callback.action](query, context, searcher, callback.args)
    if not handled:
        await answer_query(query, texts.STALE_BUTTON)


# -- errors ---------------------------------------------------------------------------------


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log with the traceback and apologise; the bot keeps serving everyone else."""
    error = context.error
    if update is None:  # polling itself failed; PTB keeps retrying
        if isinstance(error, Conflict):
            log.error("another process is polling with the same bot token; stop one of them")
        elif isinstance(error, NetworkError):
            log.warning("Telegram network error while polling (will retry): %s", error)
        else:
            log.error("error outside of any update", exc_info=error)
        return
    update_id = update.update_id if isinstance(update, Update) else "?"
    log.error("handling update %s failed", update_id, exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    with contextlib.suppress(TelegramError):
        if update.callback_query:
            await answer_query(update.callback_query)
        await send_html(context.bot, update.effective_chat.id, texts.APOLOGY)
