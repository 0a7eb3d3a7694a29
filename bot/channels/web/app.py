"""The web channel's aiohttp application: routes, middlewares, headers and background work.

    GET  /                      the search box; /?q=… the answer (server-rendered, shareable)
    GET  /item/<id>             an item's card (`?t=<token>`: tapped under that answer)
    GET  /item/<id>/full        the item in full (详情)
    GET  /lists, /lists/<list>, /lists/<list>/<n>   browse: lists -> categories -> items
    POST /feedback              the 👍/👎 and correction forms
    GET  /admin                 /stats and /unanswered figures (WEB_ADMIN_KEY)
    GET  /api/ask, POST /api/feedback   JSON (api.py)
    GET  /static/…              the style sheet and the script (no key needed: they hold no data)

Every response carries a Content-Security-Policy without inline scripts or styles, nosniff,
no-referrer and no framing; pages are not cached (the URL may hold the key or a question).
"""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from bot.answers import texts
from bot.channels.rate_limit import RateLimiter
from bot.channels.web import api, pages
from bot.channels.web.access import (
    ACCESS_COOKIE,
    ADMIN_COOKIE,
    ADMIN_PATH,
    UID_COOKIE,
    Access,
    client_address,
    set_cookie,
)
from bot.channels.web.context import (
    CONTEXT,
    MAX_BODY_BYTES,
    VISITOR,
    WRONG_KEYS_PER_MINUTE,
    Visitor,
    WebContext,
    WebError,
    context,
)
from bot.engine import Engine
from bot.feedback.usage import UsageLog
from bot.settings import Settings

log = logging.getLogger(__name__)

SEARCH_THREADS = 4
PRUNE_EVERY_SECONDS = 24 * 3600
# Long questions in a GET URL: every Chinese character is 9 bytes percent-encoded.
MAX_LINE_BYTES = 16 * 1024
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
ID = r"{id:(?:basic|coop|returned)-\d{3}}"
HTTP_MESSAGES = {
    404: texts.WEB_NOT_FOUND,
    405: texts.WEB_BAD_METHOD,
    413: texts.WEB_BODY_TOO_LARGE,
}


def _is_api(request: web.Request) -> bool:
    return request.path.startswith("/api/")


def _is_static(request: web.Request) -> bool:
    return request.path.startswith("/static/")


def error_response(request: web.Request, status: int, html_message: str,
                   retry_after: int | None = None) -> web.Response:
    """A Chinese note with the status: JSON under /api/, otherwise a page (or the fragment the script asked for)."""
    response = api.error_json(status, html_message) if _is_api(request) else \
        pages.error_page(request, status, html_message)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


@web.middleware
async def errors(request: web.Request, handler) -> web.StreamResponse:
    """Every failure becomes a short Chinese note; unexpected ones are logged (path only: no key, no question)."""
    try:
        return await handler(request)
    except WebError as exc:
        return error_response(request, exc.status, exc.message, exc.retry_after)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error_response(request, exc.status, HTTP_MESSAGES.get(exc.status, texts.WEB_SERVER_ERROR))
    except Exception:
        log.exception("web request %s %s failed", request.method, request.path)
        return error_response(request, 500, texts.WEB_SERVER_ERROR)


@web.middleware
async def gate(request: web.Request, handler) -> web.StreamResponse:
    """The key (or its cookie) before anything else; then who the visitor is (the uid cookie)."""
    if _is_static(request):
        return await handler(request)
    ctx = context(request)
    admin = request.path == ADMIN_PATH or request.path.startswith(ADMIN_PATH + "/")
    verdict = ctx.access.check_admin(request) if admin else ctx.access.check(request)
    address = client_address(request)
    if not verdict.allowed:
        if verdict.wrong_key:
            decision = ctx.key_limiter.check(f"ip:{address}")
            if not decision.allowed:
                raise WebError(429, texts.WEB_WRONG_KEYS.format(seconds=decision.wait_seconds),
                               decision.wait_seconds)
        if admin and not ctx.access.admin_enabled:
            raise WebError(403, texts.WEB_ADMIN_DISABLED)
        raise WebError(401, texts.WEB_NEED_ADMIN_KEY if admin else texts.WEB_NEED_KEY)
    uid = ctx.access.uid_of(request)
    who = Visitor(uid or ctx.access.new_uid(), uid is None, address)
    request[VISITOR] = who
    try:
        response = await handler(request)
    except WebError as exc:  # answered here so that the cookies below still go out
        response = error_response(request, exc.status, exc.message, exc.retry_after)
    if verdict.set_cookie:
        set_cookie(response, request, ADMIN_COOKIE if admin else ACCESS_COOKIE, verdict.set_cookie,
                   path=ADMIN_PATH if admin else "/")
    if who.new_uid:
        set_cookie(response, request, UID_COOKIE, who.uid)
    return response


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if _is_static(request):
        response.headers.setdefault("Cache-Control", "public, max-age=86400")
    else:
        response.headers["Cache-Control"] = "no-store"


async def _watch_index(ctx: WebContext) -> None:
    """Switch to a rebuilt index within INDEX_WATCH_SECONDS, as the Telegram bot does."""
    while True:
        await asyncio.sleep(ctx.settings.index_watch_seconds)
        try:
            await ctx.engine.holder.refresh_if_rebuilt()
        except Exception:
            log.exception("checking the index for a rebuild failed")


async def _prune_log(ctx: WebContext) -> None:
    while True:
        await ctx.usage.prune()
        await asyncio.sleep(PRUNE_EVERY_SECONDS)


async def _lifecycle(app: web.Application):
    """Start-up: the index (built first if missing or stale), then the background tasks.

    Clean-up: the tasks, the search threads and the question log's writer, so a SIGTERM ends
    the process in a few seconds.
    """
    ctx = app[CONTEXT]
    holder = ctx.engine.holder
    try:
        if holder.searcher is None:
            log.info("opening the search index in %s (building it if missing or stale)", ctx.settings.index_dir)
            holder.searcher = await holder.open(build_if_needed=True)
        if ctx.background:
            if ctx.settings.index_watch_seconds > 0:
                ctx.tasks.append(asyncio.create_task(_watch_index(ctx), name="web-index-watch"))
            if ctx.usage.available:
                ctx.tasks.append(asyncio.create_task(_prune_log(ctx), name="web-log-prune"))
        yield
    finally:
        for task in ctx.tasks:
            task.cancel()
        await asyncio.gather(*ctx.tasks, return_exceptions=True)
        ctx.tasks.clear()
        if ctx.background:
            await holder.stop()
        ctx.pool.shutdown(wait=False, cancel_futures=True)
        await asyncio.to_thread(ctx.usage.close)


def make_app(settings: Settings, engine: Engine, usage: UsageLog, *, background: bool = True) -> web.Application:
    """The web page over `engine`, logging to `usage` (closed with the app).

    Without a loaded index the app opens (or builds) it on start-up. `background=False` when
    another channel in the same process already watches the index and prunes the log.
    """
    app = web.Application(middlewares=[errors, gate], client_max_size=MAX_BODY_BYTES,
                          handler_args={"max_line_size": MAX_LINE_BYTES, "max_field_size": MAX_LINE_BYTES})
    app[CONTEXT] = WebContext(
        settings=settings, engine=engine, usage=usage,
        access=Access(settings.web_access_key, settings.web_admin_key),
        limiter=RateLimiter(settings.rate_limit_per_minute), key_limiter=RateLimiter(WRONG_KEYS_PER_MINUTE),
        pool=ThreadPoolExecutor(max_workers=SEARCH_THREADS, thread_name_prefix="web-search"),
        background=background)
    app.on_response_prepare.append(_security_headers)
    app.cleanup_ctx.append(_lifecycle)
    app.router.add_get("/", pages.index)
    app.router.add_get(f"/item/{ID}", pages.item)
    app.router.add_get(f"/item/{ID}/full", pages.item_full)
    app.router.add_get("/lists", pages.lists)
    app.router.add_get("/lists/{list}", pages.list_categories)
    app.router.add_get(r"/lists/{list}/{n:\d{1,3}}", pages.category)
    app.router.add_post("/feedback", pages.feedback)
    app.router.add_get(ADMIN_PATH, pages.admin)
    app.router.add_get("/api/ask", api.ask)
    app.router.add_post("/api/feedback", api.feedback)
    app.router.add_static("/static/", pages.STATIC, follow_symlinks=False, show_index=False)
    return app
