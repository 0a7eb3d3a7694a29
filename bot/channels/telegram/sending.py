"""Sending and editing messages: split at Telegram's limit, retry 429s and network errors."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Awaitable, Callable, TypeVar

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from bot.answers.render import split_message

log = logging.getLogger(__name__)
T = TypeVar("T")

ATTEMPTS = 4
# A longer flood wait is better reported than slept through (and would stall shutdown).
MAX_RETRY_AFTER = 30.0


def _retry_after_seconds(exc: RetryAfter) -> float:
    # PTB >= 22.2 stores a timedelta; reading it directly avoids the int-deprecation warning.
    value = getattr(exc, "_retry_after", None)
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(exc.retry_after)  # type: ignore[arg-type]


async def with_retry(call: Callable[[], Awaitable[T]], what: str) -> T:
    """Run a Bot API call, retrying flood waits and transient network errors."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await call()
        except RetryAfter as exc:
            delay = _retry_after_seconds(exc)
            if attempt == ATTEMPTS or delay > MAX_RETRY_AFTER:
                raise
            log.warning("%s: Telegram asks to wait %.0f s (attempt %d)", what, delay, attempt)
        except BadRequest:
            raise  # our request is wrong; sending it again cannot help
        except NetworkError as exc:  # includes TimedOut
            if attempt == ATTEMPTS:
                raise
            delay = 0.5 * 2 ** (attempt - 1)
            log.warning("%s: %s; retrying in %.1f s (attempt %d)", what, exc, delay, attempt)
        await asyncio.sleep(delay)
    raise AssertionError("unreachable")


async def send_html(bot: Bot, chat_id: int, html: str, markup: InlineKeyboardMarkup | None = None,
                    reply_to: int | None = None) -> list[Message]:
    """Send possibly long HTML as one or more messages; buttons go under the last one."""
    chunks = split_message(html)
    sent: list[Message] = []
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to and i == 0 else None
        sent.append(await with_retry(
            lambda chunk=chunk, last=last, reply=reply: bot.send_message(
                chat_id, chunk, parse_mode=ParseMode.HTML, reply_markup=markup if last else None,
                reply_parameters=reply,
            ),
            "sendMessage",
        ))
    return sent


async def edit_html(query: CallbackQuery, html: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Replace a navigation message in place (short texts only)."""
    try:
        await with_retry(
            lambda: query.edit_message_text(html, parse_mode=ParseMode.HTML, reply_markup=markup),
            "editMessageText",
        )
    except BadRequest as exc:
        if "not modified" not in str(exc):  # a double tap on the same button is harmless
            raise


async def answer_query(query: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
    """Stop the button's spinner. Best effort: an old query cannot be answered, and that is fine."""
    with contextlib.suppress(TelegramError):
        await with_retry(lambda: query.answer(text, show_alert=alert), "answerCallbackQuery")
