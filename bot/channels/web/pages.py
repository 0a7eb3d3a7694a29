"""The pages, rendered on the server: every link works without JavaScript and can be shared.

Templates (templates/*.html) are string.Template files with no words in them; the words
come from bot.answers (texts.py, render.py). Whatever goes into a template is escaped
unless it is Markup: HTML that we wrote, or that render.py wrote (it escapes all corpus and
user text itself). With `fragment=1` a page answers with its content only: static/web.js
swaps it in without reloading.
"""
from __future__ import annotations

import hashlib
import html
import logging
from functools import cache
from pathlib import Path
from string import Template
from urllib.parse import quote

from aiohttp import web

from bot.answers import texts
from bot.answers.answer import Answer
from bot.answers.browse import categories, list_counts
from bot.answers.render import (
    LIST_BADGE,
    e,
    format_answer,
    format_duty_card,
    format_duty_detail,
)
from bot.answers.small_talk import is_small_talk, small_talk_reply
from bot.channels.web import api
from bot.channels.web.context import (
    MAX_QUERY_CHARS,
    WebContext,
    WebError,
    context,
    visitor,
)
from bot.corpus.model import LISTS, Duty
from bot.feedback.report import problems_text, stats_text

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


class Markup(str):
    """HTML that goes into a template as it is."""


EMPTY = Markup("")


def join(parts) -> Markup:
    return Markup("".join(p if isinstance(p, Markup) else html.escape(str(p)) for p in parts))


@cache
def _template(name: str) -> Template:
    return Template((TEMPLATES / f"{name}.html").read_text(encoding="utf-8"))


def render(name: str, **values) -> Markup:
    """templates/<name>.html filled in; plain strings escaped, Markup as it is; a missing value is an error."""
    return Markup(_template(name).substitute(
        {k: v if isinstance(v, Markup) else html.escape(str(v)) for k, v in values.items()}))


@cache
def static_version() -> str:
    """Changes when a static file does, so phones do not keep an old script or style."""
    digest = hashlib.sha256()
    for path in sorted(STATIC.iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:10]


def badge(list_key: str) -> str:
    return LIST_BADGE[list_key].split()[0]


def list_name(list_key: str) -> str:
    return LIST_BADGE[list_key].split()[1]


def link(href: str, label: str, kind: str = "") -> Markup:
    return render("link", href=href, label=label, kind=kind)


def reply(telegram_html: str) -> Markup:
    """render.py's Telegram HTML (only <b>, <i>, <code>, tel: links, escaped text): safe to embed as it is."""
    return Markup(telegram_html)


def fragment_wanted(request: web.Request) -> bool:
    return request.query.get("fragment") == "1"


def page(content: Markup, q: str = "", search: bool = True) -> Markup:
    box = render("search", q=q, placeholder=texts.WEB_PLACEHOLDER, button=texts.WEB_ASK_BUTTON,
                 maxlength=MAX_QUERY_CHARS) if search else EMPTY
    # Pages without the search box (the key prompt, admin) get no footer either: nothing to browse or rate.
    footer = join([link("/lists", texts.WEB_BROWSE_LINK, "plain"), Markup('<p class="hint">'),
                   texts.WEB_HINT_FOOTER, Markup("</p>")]) if search else EMPTY
    return render("page", title=texts.WEB_TITLE, version=static_version(), brand=texts.WEB_BRAND,
                  tagline=texts.WEB_TAGLINE, search=box, loading=texts.WEB_LOADING,
                  network_error=texts.WEB_NETWORK_ERROR, content=content, footer=footer)


def respond(request: web.Request, content: Markup, q: str = "", status: int = 200,
            search: bool = True) -> web.Response:
    body = content if fragment_wanted(request) else page(content, q, search)
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


# -- pieces ---------------------------------------------------------------------------------


def message(html_text: str, kind: str = "note", links: Markup = EMPTY) -> Markup:
    return render("message", kind=kind, html=reply(html_text), links=links)


def home() -> Markup:
    examples = join(link(f"/?q={quote(q)}", q, "example") for q in texts.EXAMPLE_QUESTIONS)
    return render("home", intro=reply(texts.WEB_INTRO), examples_label=texts.WEB_EXAMPLES, examples=examples,
                  browse=link("/lists", texts.WEB_BROWSE_LINK, "plain"))


def item_href(duty_id: str, token: str | None = None) -> str:
    return f"/item/{duty_id}" + (f"?t={token}" if token else "")


def vote_box(token: str) -> Markup:
    inner = render("vote", prompt=texts.WEB_FEEDBACK_PROMPT, token=token, up=texts.BUTTON_UP, down=texts.BUTTON_DOWN)
    return render("feedback", inner=inner)


def answer_page(ctx: WebContext, answer: Answer, token: str | None) -> Markup:
    detail = link(f"/item/{answer.best.id}/full", texts.BUTTON_DETAIL, "detail") if answer.best else EMPTY
    # The other matters of a message that raised several: each one's item, in full.
    detail = join([detail, *(link(f"/item/{item_id}/full", texts.BUTTON_DETAIL_OF.format(short=label), "detail")
                             for item_id, label in answer.further_items)])
    alternatives = join(link(item_href(m.id, token), f"{badge(m.list)} {answer.label(m)}", "alt")
                        for m in answer.alternatives)
    actions = render("actions", detail=detail, alternatives=alternatives) if detail or alternatives else EMPTY
    feedback = EMPTY
    if token and answer.wants_feedback:
        rated = ctx.rated.get(token)  # the same answer opened again: the box as it was left
        feedback = render("feedback", inner=feedback_outcome(ctx, rated)) if rated else vote_box(token)
    return render("answer", asked=texts.WEB_ASKED.format(question=answer.question.strip()),
                  reply=reply(format_answer(answer, browse=texts.WEB_BROWSE_HINT, dial=True)), actions=actions,
                  feedback=feedback)


def pick_right(token: str, shown: list[tuple[Duty, str]]) -> Markup:
    """After 👎: which of the items shown was right, or none of them."""
    choices = [render("choice", token=token, item=d.id, label=f"{badge(d.list)} {short}") for d, short in shown]
    choices.append(render("choice", token=token, item="none", label=texts.BUTTON_NONE_RIGHT))
    return join([Markup('<p class="prompt">'), reply(texts.PICK_RIGHT), Markup("</p>"), *choices])


def item_card(ctx: WebContext, duty: Duty) -> Markup:
    links = join([link(f"/item/{duty.id}/full", texts.BUTTON_DETAIL, "detail"), category_back_link(ctx, duty)])
    return render("item", card=reply(format_duty_card(duty, ctx.engine.short(duty))), links=links)


def category_back_link(ctx: WebContext, duty: Duty) -> Markup:
    searcher = ctx.engine.holder.searcher
    cats = categories(searcher.duties, duty.list) if searcher else []
    for n, cat in enumerate(cats):
        if cat.name == duty.category:
            return link(f"/lists/{duty.list}/{n}", texts.WEB_BACK_TO_CATEGORY.format(category=cat.name), "plain")
    return EMPTY


def feedback_outcome(ctx: WebContext, outcome: api.FeedbackOutcome) -> Markup:
    """What the feedback box says after a vote or a correction."""
    if outcome.kind == "up":
        return join([Markup('<p class="done">'), reply(texts.THANKS_UP), Markup("</p>")])
    if outcome.kind == "down":
        return pick_right(outcome.token, [(d, ctx.engine.short(d)) for d in outcome.choices])
    if outcome.kind == "none":
        return join([Markup('<div class="reply done">'), reply(texts.WEB_FIXED_NONE), Markup("</div>")])
    assert outcome.duty is not None
    short = ctx.engine.short(outcome.duty)
    return join([Markup('<p class="done">'), reply(texts.FIXED.format(title=e(short))), Markup("</p>"),
                 item_card(ctx, outcome.duty)])


# -- handlers ---------------------------------------------------------------------------------


async def index(request: web.Request) -> web.Response:
    """`/`: the search box; `/?q=…`: the answer, rendered here so the link works without JavaScript."""
    ctx = context(request)
    q = request.query.get("q")
    if q is None:
        return respond(request, home())
    question = q.strip()
    if not question:
        return respond(request, message(texts.ASK_FOR_QUESTION), q)
    if is_small_talk(question):
        return respond(request, message(small_talk_reply(question)), q)
    answer, token = await ctx.ask(request, q)
    if answer.kind == "empty":
        return respond(request, message(format_answer(answer, dial=True)), q)
    return respond(request, answer_page(ctx, answer, token), q)


def _duty(ctx: WebContext, request: web.Request) -> Duty:
    duty = ctx.engine.duty(request.match_info["id"])
    if duty is None:
        raise WebError(404, texts.WEB_NOT_FOUND)
    return duty


async def item(request: web.Request) -> web.Response:
    """An item's card: from the list, or an alternative under an answer (`t`: that answer's token)."""
    ctx = context(request)
    duty = _duty(ctx, request)
    token = request.query.get("t", "")
    if (api.TOKEN.fullmatch(token) and ctx.usage.available
            and (await ctx.usage.owned(token, visitor(request).user)).by_asker):
        ctx.usage.tap(token, duty.id)  # the asker looked at another item: worth knowing
    return respond(request, item_card(ctx, duty))


async def item_full(request: web.Request) -> web.Response:
    ctx = context(request)
    duty = _duty(ctx, request)
    back = join([link(f"/item/{duty.id}", f"« {ctx.engine.short(duty)}", "plain"), category_back_link(ctx, duty)])
    return respond(request, message(format_duty_detail(duty, ctx.engine.short(duty)), "detail", back))


def _duties(ctx: WebContext) -> list[Duty]:
    searcher = ctx.engine.holder.searcher
    if searcher is None:
        raise WebError(503, texts.NOT_STARTED)
    return searcher.duties


def menu(heading: str, items: list[Markup], back: Markup = EMPTY) -> Markup:
    return render("menu", heading=reply(heading), items=join(items), back=back)


async def lists(request: web.Request) -> web.Response:
    counts = list_counts(_duties(context(request)))
    items = [link(f"/lists/{key}", LIST_BADGE[key] + texts.WEB_ITEM_COUNT.format(count=counts[key]), "list")
             for key in LISTS if counts[key]]
    return respond(request, menu(texts.LIST_PICK, items))


def _list_key(request: web.Request) -> str:
    key = request.match_info["list"]
    if key not in LISTS:
        raise WebError(404, texts.WEB_NOT_FOUND)
    return key


async def list_categories(request: web.Request) -> web.Response:
    key = _list_key(request)
    cats = categories(_duties(context(request)), key)
    items = [link(f"/lists/{key}/{n}", c.name + texts.WEB_ITEM_COUNT.format(count=len(c.duties)), "category")
             for n, c in enumerate(cats)]
    return respond(request, menu(texts.CATEGORY_PICK.format(badge=LIST_BADGE[key]), items,
                                 link("/lists", texts.WEB_BACK_TO_LISTS, "plain")))


async def category(request: web.Request) -> web.Response:
    ctx = context(request)
    key = _list_key(request)
    cats = categories(_duties(ctx), key)
    n = int(request.match_info["n"])
    if n >= len(cats):
        raise WebError(404, texts.WEB_NOT_FOUND)  # the list changed since the link was made
    cat = cats[n]
    items = [link(item_href(d.id), f"{badge(d.list)} {ctx.engine.short(d)}", "item") for d in cat.duties]
    heading = texts.WEB_CATEGORY_ITEMS.format(badge=LIST_BADGE[key], category=e(cat.name), count=len(cat.duties))
    back = link(f"/lists/{key}", texts.WEB_BACK_TO_CATEGORIES.format(list_name=list_name(key)), "plain")
    return respond(request, menu(heading, items, back))


async def feedback(request: web.Request) -> web.Response:
    """The 👍/👎 and correction forms (without JavaScript: a page; with it: the feedback box)."""
    ctx = context(request)
    outcome = await api.apply_feedback(request, await api.read_feedback(request))
    inner = feedback_outcome(ctx, outcome)
    if fragment_wanted(request):
        return web.Response(text=inner, content_type="text/html", charset="utf-8")
    return respond(request, render("feedback", inner=inner))


async def admin(request: web.Request) -> web.Response:
    """/stats and /unanswered of the Telegram bot, for admins (WEB_ADMIN_KEY)."""
    ctx = context(request)
    if not ctx.usage.available:
        return respond(request, message(texts.LOG_UNAVAILABLE), search=False)
    searcher = ctx.engine.holder.searcher
    titles = {d.id: ctx.engine.short(d) for d in searcher.duties} if searcher else {}
    stats = await ctx.usage.read(stats_text, titles)
    problems = await ctx.usage.read(problems_text, titles)
    return respond(request, render("admin", stats_title=texts.WEB_ADMIN_TITLE, stats=reply(stats),
                                   problems_title=texts.WEB_ADMIN_PROBLEMS, problems=reply(problems)), search=False)


def error_page(request: web.Request, status: int, html_message: str) -> web.Response:
    links = link("/", texts.WEB_HOME_LINK, "plain") if status in (404, 429, 500, 503) else EMPTY
    # The key prompt shows no search box: without the key there is nothing to search.
    return respond(request, message(html_message, "error", links), status=status, search=status not in (401, 403))
