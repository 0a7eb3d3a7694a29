"""Group -1: runs before every other handler and stops what they must not see.

1. Updates not meant for the bot (group chatter without a mention or reply) stop silently.
2. Users outside ALLOWED_USER_IDS get one polite refusal now and then, and no data.
3. One per-user budget covers messages of every kind, commands and button taps: past it
   the user is told once how long to wait, and the update stops here.
"""
from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot.answers import texts
from bot.channels.telegram.context import Context
from bot.channels.telegram.handlers import _our_mentions, replies_to_bot

log = logging.getLogger(__name__)


def meant_for_bot(update: Update, bot_id: int, bot_username: str) -> bool:
    if update.callback_query is not None:
        return True
    message = update.effective_message
    if message is None or update.effective_user is None:
        return False
    if message.chat.type == ChatType.PRIVATE:
        return True
    text = message.text or ""
    if text.startswith("/"):  # a command in a group: CommandHandler checks the @botname itself
        return True
    return replies_to_bot(message, bot_id) or (bool(text) and bool(_our_mentions(message, bot_id, bot_username)))


async def gate(update: Update, context: Context) -> None:
    if not meant_for_bot(update, context.bot.id, context.bot.username):
        raise ApplicationHandlerStop
    data = context.bot_data
    user = update.effective_user
    assert user is not None  # meant_for_bot checked it
    if not data.gate.allows(user.id):
        if update.callback_query is not None:
            await data.delivery.answer_query(update.callback_query, texts.REFUSED_SHORT, alert=True)
        elif update.effective_chat is not None and data.gate.should_tell_refusal(user.id):
            log.info("refused a user outside ALLOWED_USER_IDS")
            await data.delivery.send_html(context.bot, update.effective_chat.id,
                                          texts.REFUSED.format(user_id=user.id))
        raise ApplicationHandlerStop
    decision = data.limiter.check(user.id)
    if not decision.allowed:
        notice = texts.RATE_LIMITED.format(seconds=decision.wait_seconds, limit=data.settings.rate_limit_per_minute)
        if update.callback_query is not None:
            await data.delivery.answer_query(update.callback_query, notice)
        elif decision.notify and update.effective_chat is not None:
            message = update.effective_message
            reply_to = message.message_id if message and message.chat.type != ChatType.PRIVATE else None
            await data.delivery.send_html(context.bot, update.effective_chat.id, notice, reply_to=reply_to)
        raise ApplicationHandlerStop
