"""What the web handlers share: one WebContext per app, and what a request learned on its way in."""
from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.answers import texts
from bot.answers.answer import Answer
from bot.channels.rate_limit import RateLimiter
from bot.channels.web.access import Access
from bot.engine import Engine
from bot.feedback.usage import UsageLog
from bot.settings import Settings

if TYPE_CHECKING:  # api imports this module
    from bot.channels.web.api import FeedbackOutcome

log = logging.getLogger(__name__)

# A question longer than this is refused (413); the engine itself searches only the question
# part of at most MAX_QUESTION_CHARS characters of what it is given.
MAX_QUERY_CHARS = 1000
MAX_TOP = 20
# Request bodies (feedback forms) are a few dozen bytes; anything much larger is refused (413).
MAX_BODY_BYTES = 16 * 1024
# Wrong keys per address and minute before 429: keys cannot be guessed one request at a time.
WRONG_KEYS_PER_MINUTE = 10
# The same visitor opening the same answer again within this time (back button, reload, a
# double tap) is one question: logged once, and its 👍/👎 go to the same row.
SAME_QUESTION_SECONDS = 30 * 60
_RECENT_ANSWERS = 10_000


def _request_key(name: str) -> Any:
    """web.RequestKey where aiohttp has it (3.13+), a plain string before."""
    factory = getattr(web, "RequestKey", None)
    return factory(name, object) if factory is not None else name


VISITOR = _request_key("zhizetong.visitor")


class WebError(Exception):
    """An answer other than 200 with a Chinese message (HTML or JSON, as the path wants)."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message  # our own HTML: escape anything from outside before putting it here
        self.retry_after = retry_after


@dataclass
class Visitor:
    """Who is asking: the signed uid cookie (made on the first visit), else the address."""

    uid: str
    new_uid: bool
    address: str

    @property
    def user(self) -> str:
        """How the question log knows them (it stores only a salted hash of this)."""
        return f"web:{self.uid}"


def visitor(request: web.Request) -> Visitor:
    return request[VISITOR]


@dataclass
class WebContext:
    settings: Settings
    engine: Engine
    usage: UsageLog
    access: Access
    limiter: RateLimiter
    key_limiter: RateLimiter
    # Searches (embedding + FAISS) run here, never on the event loop.
    pool: ThreadPoolExecutor
    background: bool = True  # watch the index and prune the log (off when another channel does)
    tasks: list[asyncio.Task] = field(default_factory=list)
    # (user, question, top) -> (token, items shown, when): see SAME_QUESTION_SECONDS.
    recent: OrderedDict[tuple, tuple[str, tuple[str, ...], float]] = field(default_factory=OrderedDict)
    # token -> what its feedback box said last: the same answer opened again (reload, back button)
    # shows that, not 👍/👎 anew as if it had never been rated (web review).
    rated: OrderedDict[str, FeedbackOutcome] = field(default_factory=OrderedDict)

    def limit(self, request: web.Request) -> None:
        """Count a question or a vote against the visitor's budget; 429 past it."""
        who = visitor(request)
        # A visitor's first request has no cookie yet: it counts against the address.
        key = f"ip:{who.address}" if who.new_uid else f"uid:{who.uid}"
        decision = self.limiter.check(key)
        if not decision.allowed:
            raise WebError(429, texts.WEB_RATE_LIMITED.format(seconds=decision.wait_seconds,
                                                              limit=self.settings.rate_limit_per_minute),
                           retry_after=decision.wait_seconds)

    async def ask(self, request: web.Request, question: str, top: int | None = None) -> tuple[Answer, str | None]:
        """Answer on the search threads, log it for the visitor; the token for 👍/👎 (None: no buttons)."""
        if len(question) > MAX_QUERY_CHARS:
            raise WebError(413, texts.WEB_TOO_LONG.format(max_chars=self.settings.max_question_chars))
        if self.engine.holder.searcher is None:
            raise WebError(503, texts.NOT_STARTED)
        self.limit(request)
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        answer = await loop.run_in_executor(self.pool, self.engine.ask, question, top)
        log.info("web question answered in %.0f ms: kind=%s best=%s emergency=%s",
                 (time.perf_counter() - started) * 1000, answer.kind,
                 answer.matches[0].id if answer.matches else "-", bool(answer.emergency))
        if answer.kind == "empty" or answer.small_talk or not self.usage.available:  # nothing was searched
            return answer, None
        token = self._log(visitor(request).user, answer, top)
        return answer, token if answer.wants_feedback else None

    def remember_rating(self, token: str, outcome: FeedbackOutcome) -> None:
        _keep_recent(self.rated, token, outcome)

    def _log(self, user: str, answer: Answer, top: int | None) -> str:
        """Log the question once per visitor and SAME_QUESTION_SECONDS; the token of its row."""
        now = time.monotonic()
        key = (user, answer.text, top)
        shown = tuple(answer.shown_ids)
        seen = self.recent.get(key)
        if seen is not None and seen[1] == shown and now - seen[2] < SAME_QUESTION_SECONDS:
            return seen[0]
        token = self.usage.new_token()
        self.usage.question(token, user, answer.text, answer.kind, list(shown))
        _keep_recent(self.recent, key, (token, shown, now))
        return token


def _keep_recent(memory: OrderedDict, key, value) -> None:
    """Remember `value` as the newest entry, forgetting the oldest past _RECENT_ANSWERS."""
    memory[key] = value
    memory.move_to_end(key)
    while len(memory) > _RECENT_ANSWERS:
        memory.popitem(last=False)


CONTEXT = web.AppKey("zhizetong.web", WebContext)


def context(request: web.Request) -> WebContext:
    return request.app[CONTEXT]
