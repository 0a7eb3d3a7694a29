"""Messages and commands: a question travels channel -> engine -> Answer -> HTML -> Telegram.

Who may use the bot and how often is decided before any of these run (gate.py, group -1);
a handler here only ever sees updates meant for it from allowed users within their budget.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from dataclasses import dataclass

from telegram import Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.error import Conflict, NetworkError, TelegramError

from bot.answers import texts
from bot.answers.render import e, format_answer
from bot.answers.small_talk import is_small_talk, small_talk_reply
from bot.channels.telegram.context import Context
from bot.channels.telegram.keyboards import (
    answer_keyboard,
    examples_keyboard,
    lists_keyboard,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Asker:
    """Where an answer goes: the chat, who asked, which message to quote in groups."""

    chat_id: int
    user_id: int
    reply_to: int | None = None


def asker_of(message: Message, user_id: int) -> Asker:
    in_group = message.chat.type != ChatType.PRIVATE
    return Asker(message.chat.id, user_id, message.message_id if in_group else None)


def replies_to_bot(message: Message, bot_id: int) -> bool:
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == bot_id)


def _our_mentions(message: Message, bot_id: int, bot_username: str) -> list[str]:
    mention = f"@{bot_username}".lower()
    found = message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION])
    return [value for entity, value in found.items()
            if (entity.type == MessageEntity.MENTION and value.lower() == mention)
            or (entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id)]


def addressed_text(message: Message, bot_id: int, bot_username: str) -> str | None:
    """The question, or None when a group message is not meant for the bot.

    In groups the bot answers only when @mentioned or replied to; the mention is removed
    so it does not become part of the question.
    """
    text = message.text or ""
    if message.chat.type == ChatType.PRIVATE:
        return text
    ours = _our_mentions(message, bot_id, bot_username)
    if not ours and not replies_to_bot(message, bot_id):
        return None
    for value in ours:
        text = re.sub(re.escape(value), " ", text, flags=re.IGNORECASE)
    return text


# -- questions ------------------------------------------------------------------------


async def answer_question(context: Context, asker: Asker, question: str, echo: bool = False) -> None:
    data = context.bot_data
    send = data.delivery.send_html
    if is_small_talk(question):
        await send(context.bot, asker.chat_id, small_talk_reply(question), reply_to=asker.reply_to)
        return
    if data.holder.searcher is None:
        await send(context.bot, asker.chat_id, texts.NOT_STARTED, reply_to=asker.reply_to)
        return
    started = time.perf_counter()
    # Embedding and search are CPU work: off the event loop, on their own threads.
    loop = asyncio.get_running_loop()
    answer = await loop.run_in_executor(data.search_pool, data.engine.ask, question, None)
    log.info("question answered in %.0f ms: kind=%s best=%s emergency=%s", (time.perf_counter() - started) * 1000,
             answer.kind, answer.matches[0].id if answer.matches else "-", bool(answer.emergency))
    if answer.kind == "empty":
        await send(context.bot, asker.chat_id, texts.ASK_FOR_QUESTION, reply_to=asker.reply_to)
        return
    html = format_answer(answer)
    if echo:
        html = f"<i>问：{e(question)}</i>\n\n{html}"
    token = data.usage.new_token() if data.usage.available and answer.wants_feedback else None
    if data.usage.available:
        # Queued before the reply goes out (written by the log's own thread; the reply never waits
        # for it): Telegram may show the reply before the send returns, and a tap on it, handled
        # concurrently, must find its answer.
        data.usage.question(token or data.usage.new_token(), asker.user_id, answer.text, answer.kind,
                            answer.shown_ids)
    await send(context.bot, asker.chat_id, html, answer_keyboard(answer, token), reply_to=asker.reply_to)


async def on_text(update: Update, context: Context) -> None:
    """A text message (new or edited) is a question."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    question = addressed_text(message, context.bot.id, context.bot.username)
    if question is not None:
        await answer_question(context, asker_of(message, user.id), question)


async def on_non_text(update: Update, context: Context) -> None:
    """Stickers, photos, voice, video, files, locations…: ask for typed text."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    await context.bot_data.delivery.send_html(context.bot, message.chat.id, texts.ASK_FOR_TEXT,
                                              reply_to=asker_of(message, user.id).reply_to)


# -- commands ---------------------------------------------------------------------------


async def on_start(update: Update, context: Context) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    await context.bot_data.delivery.send_html(context.bot, message.chat.id, texts.START, examples_keyboard(),
                                              reply_to=asker_of(message, user.id).reply_to)


async def on_help(update: Update, context: Context) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    data = context.bot_data
    html = texts.HELP.format(max_chars=data.settings.max_question_chars)
    if data.gate.is_admin(user.id):
        html += texts.HELP_ADMIN
    await data.delivery.send_html(context.bot, message.chat.id, html, reply_to=asker_of(message, user.id).reply_to)


async def on_list(update: Update, context: Context) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    data = context.bot_data
    searcher = data.holder.searcher
    if searcher is None:
        await data.delivery.send_html(context.bot, message.chat.id, texts.NOT_STARTED)
        return
    await data.delivery.send_html(context.bot, message.chat.id, texts.LIST_PICK, lists_keyboard(searcher.duties),
                                  reply_to=asker_of(message, user.id).reply_to)


async def on_unknown_command(update: Update, context: Context) -> None:
    if update.effective_chat is not None:
        await context.bot_data.delivery.send_html(context.bot, update.effective_chat.id, texts.UNKNOWN_COMMAND)


# -- errors ---------------------------------------------------------------------------------


async def on_error(update: object, context: Context) -> None:
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
    delivery = context.bot_data.delivery
    with contextlib.suppress(TelegramError):
        if update.callback_query:
            await delivery.answer_query(update.callback_query)
        await delivery.send_html(context.bot, update.effective_chat.id, texts.APOLOGY)
