"""Getting replies to Telegram: split at its limit, wait out outages, never send twice.

The trade-off, chosen on purpose: a reply is retried only when Telegram cannot have
received it — the connection was never made (refused, connect or pool timeout, request not
fully written), a 5xx from the server or a proxy in front of it, or a 429 flood wait. A
read timeout or a connection dropped after the request went out probably means Telegram
has the message: sending it again would duplicate it, so it is treated as delivered (a rare
lost reply beats every user seeing answers twice): it is logged as a warning and the
handler carries on as if it had been sent. Retries back off until DELIVERY_DEADLINE
seconds have passed; a reply that still could not be sent is logged, and its chat gets one
apology once Telegram is reachable again (see Apologies).

PTB's AIORateLimiter keeps within Telegram's own flood limits and waits out short 429s
before this module sees them.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import TypeVar

import httpx
from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.answers.splitting import split_message

log = logging.getLogger(__name__)
T = TypeVar("T")

FIRST_DELAY = 0.5
MAX_DELAY = 8.0
# PTB puts the status in the message ("Bad Gateway (502)") only when the body has no
# description; Telegram's own 5xx answers carry one ("Internal Server Error"), which PTB
# uses instead, so the 5xx reason phrases count as well.
_SERVER_ERROR = re.compile(r"\((5\d\d)\)")
_SERVER_PHRASES = tuple(s.phrase.lower() for s in HTTPStatus if 500 <= s.value <= 599)
# Connection-level failures where the request cannot have reached Telegram.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteTimeout,
             httpx.WriteError, httpx.ProxyError, httpx.UnsupportedProtocol)


class Undelivered(Exception):
    """A reply could not be sent before the deadline (or the bot is stopping)."""


def retry_delay(exc: Exception, attempt: int) -> float | None:
    """Seconds to wait before trying again, or None when the call must not be repeated."""
    if isinstance(exc, RetryAfter):
        wait = exc.retry_after
        return float(wait.total_seconds() if hasattr(wait, "total_seconds") else wait)  # type: ignore[union-attr]
    if isinstance(exc, BadRequest) or not isinstance(exc, NetworkError):
        return None  # our request is wrong, or Forbidden & co.: sending again cannot help
    backoff = min(MAX_DELAY, FIRST_DELAY * 2 ** (attempt - 1))
    cause = exc.__cause__
    if isinstance(cause, _NOT_SENT):
        return backoff
    if isinstance(exc, TimedOut):
        return None  # read timeout: Telegram probably has it
    if _SERVER_ERROR.search(str(exc)) or str(exc).lower().startswith(_SERVER_PHRASES):
        return backoff
    return None  # connection dropped after sending, or unknown: probably delivered


def probably_delivered(exc: Exception) -> bool:
    """A failure after the request went out (read timeout, connection dropped): Telegram
    probably has the message, so it is treated as sent rather than sent again."""
    return isinstance(exc, NetworkError) and not isinstance(exc, BadRequest) and retry_delay(exc, 1) is None


class Delivery:
    """Retries with a deadline; `stopping` ends the waiting at shutdown."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self._stopping = False
        self._stop = asyncio.Event()  # wakes retries that are waiting when shutdown begins
        self.apologies: set[int] = set()  # chats owed an apology for a reply that never went out

    @property
    def stopping(self) -> bool:
        return self._stopping

    @stopping.setter
    def stopping(self, value: bool) -> None:
        self._stopping = value
        if value:
            self._stop.set()
        else:
            self._stop.clear()

    async def call(self, make: Callable[[], Awaitable[T]], what: str) -> T:
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                return await make()
            except TelegramError as exc:
                delay = retry_delay(exc, attempt)
                if delay is None:
                    raise
                left = self.deadline - (time.monotonic() - started)
                if self.stopping or delay > left:
                    raise Undelivered(f"{what}: gave up after {attempt} attempt(s): {exc}") from exc
                log.warning("%s: %s; retrying in %.1f s (attempt %d)", what, exc, delay, attempt)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
                if self.stopping:
                    raise Undelivered(f"{what}: gave up after {attempt} attempt(s): the bot is stopping") from exc

    async def send_html(self, bot: Bot, chat_id: int, html: str, markup: InlineKeyboardMarkup | None = None,
                        reply_to: int | None = None) -> list[Message]:
        """Send possibly long HTML as one or more messages; buttons go under the last one.

        A reply that cannot be sent before the deadline is logged and owed an apology; one
        whose fate is unknown (see probably_delivered) is logged and counts as sent.
        """
        chunks = split_message(html)
        sent: list[Message] = []
        try:
            for i, chunk in enumerate(chunks):
                last = i == len(chunks) - 1
                reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to and i == 0 else None
                try:
                    def send(chunk: str = chunk, last: bool = last,
                             reply: ReplyParameters | None = reply) -> Awaitable[Message]:
                        return bot.send_message(chat_id, chunk, reply_markup=markup if last else None,
                                                reply_parameters=reply)
                    sent.append(await self.call(send, "sendMessage"))
                except NetworkError as exc:
                    if not probably_delivered(exc):
                        raise
                    log.warning("reply to chat %s: %s; probably delivered, not sent again", chat_id, exc)
        except Undelivered as exc:
            log.warning("reply to chat %s not delivered: %s", chat_id, exc)
            self.apologies.add(chat_id)
        return sent

    async def edit_html(self, query: CallbackQuery, html: str, markup: InlineKeyboardMarkup | None = None) -> None:
        """Replace a navigation message in place (short texts only)."""
        try:
            await self.call(lambda: query.edit_message_text(html, reply_markup=markup), "editMessageText")
        except BadRequest as exc:
            if "not modified" not in str(exc):  # a double tap on the same button is harmless
                raise
        except Undelivered as exc:
            log.warning("edit not delivered: %s", exc)
        except NetworkError as exc:
            if not probably_delivered(exc):
                raise
            log.warning("edit: %s; probably delivered, not sent again", exc)

    async def answer_query(self, query: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
        """Stop the button's spinner. Best effort: an old query cannot be answered, and that is fine."""
        with contextlib.suppress(TelegramError, Undelivered):
            await self.call(lambda: query.answer(text, show_alert=alert), "answerCallbackQuery")

    async def send_apologies(self, bot: Bot, text: str) -> None:
        """One apology per chat whose reply was lost, once Telegram answers again (a JobQueue job)."""
        for chat_id in list(self.apologies):
            try:
                await bot.send_message(chat_id, text)
            except TelegramError as exc:
                if retry_delay(exc, 1) is not None:
                    return  # still unreachable: try again next time
                log.warning("apology to chat %s not sent: %s", chat_id, exc)
            self.apologies.discard(chat_id)
