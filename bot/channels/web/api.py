"""The JSON API, and the feedback that the page's forms share with it.

    GET  /api/ask?q=…&top=K   exactly `scripts/ask.py --json`: engine.ask(q, K).to_json();
                              the answer's token (for /api/feedback) in the X-Answer-Token header
    POST /api/feedback        token + vote=up|down, or token + item=<id>|none (after 👎: which of
                              the items shown was right); a JSON object or a form body

Input is checked strictly: unknown fields, repeated fields, a wrong token or item, a body
that is not a form or a JSON object of strings are a 400 with a Chinese message; a body
over the app's client_max_size is a 413. Only the visitor who asked may rate an answer.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import partial

from aiohttp import web

from bot.answers import texts
from bot.answers.render import e, to_plain
from bot.channels.web.context import MAX_BODY_BYTES, MAX_TOP, WebContext, WebError, context, visitor
from bot.corpus.model import Duty
from bot.feedback.question_log import NONE_CORRECT

TOKEN = re.compile(r"[0-9a-f]{12}")
ITEM = re.compile(r"(?:basic|coop|returned)-\d{3}")
FIELDS = frozenset({"token", "vote", "item"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

dumps = partial(json.dumps, ensure_ascii=False)


@dataclass(frozen=True)
class FeedbackRequest:
    token: str
    vote: str | None = None  # "up" | "down"
    item: str | None = None  # an item id, or "none"


@dataclass
class FeedbackOutcome:
    kind: str  # "up", "down", "item" (the right item picked) or "none" (none of those shown)
    token: str
    duty: Duty | None = None  # kind "item"
    choices: list[Duty] = field(default_factory=list)  # kind "down": the items shown, to pick from


def _bad(reason: str) -> WebError:
    return WebError(400, texts.WEB_BAD_FEEDBACK.format(reason=reason))


async def _fields(request: web.Request) -> dict[str, str]:
    """The body as one string per field name; anything else is a 400 (413 when too large)."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise WebError(413, texts.WEB_BODY_TOO_LARGE)
    try:
        if request.content_type == "application/json":
            try:
                data = json.loads(await request.text())
            except (ValueError, UnicodeDecodeError):
                raise _bad(texts.WEB_BAD_FEEDBACK_FORMAT) from None
            if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
                raise _bad(texts.WEB_BAD_FEEDBACK_FORMAT)
            return data
        if request.content_type in FORM_TYPES:
            form = await request.post()
            if len(set(form.keys())) != len(form) or not all(isinstance(v, str) for v in form.values()):
                raise _bad(texts.WEB_BAD_FEEDBACK_FORMAT)  # repeated fields, or files
            return {k: str(v) for k, v in form.items()}
    except web.HTTPRequestEntityTooLarge:
        raise WebError(413, texts.WEB_BODY_TOO_LARGE) from None
    raise _bad(texts.WEB_BAD_FEEDBACK_FORMAT)


async def read_feedback(request: web.Request) -> FeedbackRequest:
    data = await _fields(request)
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise _bad(texts.WEB_BAD_FEEDBACK_FIELD.format(fields="、".join(f[:20] for f in unknown[:3])))
    token = data.get("token", "")
    if not TOKEN.fullmatch(token):
        raise _bad(texts.WEB_BAD_FEEDBACK_TOKEN)
    vote, item = data.get("vote"), data.get("item")
    if (vote is None) == (item is None):
        raise _bad(texts.WEB_BAD_FEEDBACK_ONE)
    if vote is not None and vote not in ("up", "down"):
        raise _bad(texts.WEB_BAD_FEEDBACK_VOTE)
    if item is not None and item != NONE_CORRECT and not ITEM.fullmatch(item):
        raise _bad(texts.WEB_BAD_FEEDBACK_ITEM)
    return FeedbackRequest(token, vote, item)


async def apply_feedback(request: web.Request, fb: FeedbackRequest) -> FeedbackOutcome:
    """Record a vote or a correction from the visitor who asked; what to show next (also when the
    answer is opened again)."""
    ctx = context(request)
    outcome = await _record(ctx, request, fb)
    ctx.remember_rating(fb.token, outcome)
    return outcome


async def _record(ctx: WebContext, request: web.Request, fb: FeedbackRequest) -> FeedbackOutcome:
    ctx.limit(request)
    owned = await ctx.usage.owned(fb.token, visitor(request).user)
    if owned.question is None:
        raise WebError(404, texts.FEEDBACK_LOST)
    if not owned.by_asker:
        raise WebError(403, texts.FEEDBACK_NOT_YOURS)
    shown = owned.question.shown
    if fb.vote is not None:
        ctx.usage.feedback(fb.token, fb.vote)
        choices = [d for d in (ctx.engine.duty(i) for i in shown) if d is not None] if fb.vote == "down" else []
        return FeedbackOutcome(fb.vote, fb.token, choices=choices)
    assert fb.item is not None
    if fb.item == NONE_CORRECT:
        ctx.usage.correction(fb.token, NONE_CORRECT)
        return FeedbackOutcome("none", fb.token)
    duty = ctx.engine.duty(fb.item)
    if duty is None or duty.id not in shown:  # only the items that answer showed
        raise _bad(texts.WEB_BAD_FEEDBACK_ITEM)
    ctx.usage.correction(fb.token, duty.id)
    return FeedbackOutcome("item", fb.token, duty=duty)


# -- handlers -----------------------------------------------------------------------------------


def _top(request: web.Request) -> int | None:
    raw = request.query.get("top")
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_TOP:
        raise WebError(400, texts.WEB_BAD_TOP.format(max_top=MAX_TOP))
    return int(raw)


async def ask(request: web.Request) -> web.Response:
    ctx = context(request)
    top = _top(request)
    answer, token = await ctx.ask(request, request.query.get("q", ""), top)
    response = web.json_response(answer.to_json(), dumps=dumps)
    if token:
        response.headers["X-Answer-Token"] = token
    return response


def _item_json(ctx, duty: Duty) -> dict:
    return {"id": duty.id, "list": duty.list, "short": ctx.engine.short(duty)}


async def feedback(request: web.Request) -> web.Response:
    ctx = context(request)
    outcome = await apply_feedback(request, await read_feedback(request))
    body: dict = {"ok": True, "recorded": outcome.kind}
    if outcome.kind == "up":
        body["message"] = to_plain(texts.THANKS_UP)
    elif outcome.kind == "down":
        body["message"] = to_plain(texts.PICK_RIGHT)
        body["choices"] = [_item_json(ctx, d) for d in outcome.choices] + [{"id": NONE_CORRECT}]
    elif outcome.kind == "none":
        body["message"] = to_plain(texts.WEB_FIXED_NONE)
    else:
        assert outcome.duty is not None
        body["message"] = to_plain(texts.FIXED.format(title=e(ctx.engine.short(outcome.duty))))
        body["item"] = _item_json(ctx, outcome.duty)
    return web.json_response(body, dumps=dumps)


def error_json(status: int, html_message: str) -> web.Response:
    return web.json_response({"ok": False, "error": to_plain(html_message)}, status=status, dumps=dumps)
