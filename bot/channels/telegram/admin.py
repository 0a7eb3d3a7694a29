"""Admin commands: /stats, /unanswered (private chats only: they list others' questions), /reload."""
from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType

from bot.answers import texts
from bot.answers.render import e
from bot.channels.telegram.context import Context
from bot.feedback.report import problems_text, stats_text
from bot.retrieval.live import RebuildFailed
from bot.retrieval.store import IndexUnavailable

log = logging.getLogger(__name__)


async def _admin(update: Update, context: Context, command: str, private_only: bool = False) -> int | None:
    """The chat to answer in, for admins; others are told why not."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return None
    data = context.bot_data
    if not data.gate.is_admin(user.id):
        await data.delivery.send_html(context.bot, chat.id, texts.ADMIN_ONLY.format(command=command))
        return None
    if private_only and chat.type != ChatType.PRIVATE:
        await data.delivery.send_html(context.bot, chat.id, texts.ADMIN_PRIVATE_ONLY.format(command=command))
        return None
    return chat.id


def _titles(context: Context) -> dict[str, str]:
    searcher = context.bot_data.holder.searcher
    engine = context.bot_data.engine
    return {d.id: engine.short(d) for d in searcher.duties} if searcher else {}


async def _log_listing(update: Update, context: Context, command: str, text_of) -> None:
    """An admin listing from the question log, in private chats only (it shows others' questions)."""
    chat_id = await _admin(update, context, command, private_only=True)
    if chat_id is None:
        return
    data = context.bot_data
    html = await data.usage.read(text_of, _titles(context)) if data.usage.available else texts.LOG_UNAVAILABLE
    await data.delivery.send_html(context.bot, chat_id, html)


async def on_stats(update: Update, context: Context) -> None:
    """Questions today and in 7 days, answered rate (corrected answers count as wrong), top items, 👎 rate."""
    await _log_listing(update, context, "/stats", stats_text)


async def on_unanswered(update: Update, context: Context) -> None:
    """Recent not-found and 👎 questions: what was shown and what the user chose."""
    await _log_listing(update, context, "/unanswered", problems_text)


async def on_reload(update: Update, context: Context) -> None:
    """Rebuild the index if the corpus changed (in a child process), then switch to it."""
    chat_id = await _admin(update, context, "/reload")
    if chat_id is None:
        return
    data = context.bot_data
    await data.delivery.send_html(context.bot, chat_id, texts.RELOADING)
    try:
        outcome = await data.holder.reload()
    except RebuildFailed as exc:
        log.warning("admin /reload: the corpus did not build: %s", exc)
        await data.delivery.send_html(context.bot, chat_id, texts.RELOAD_CORPUS_FAILED.format(
            build_id=e(data.holder.build_id), reason=e(str(exc))))
        return
    except (IndexUnavailable, OSError, ValueError) as exc:
        log.warning("admin /reload failed: %s", exc)
        await data.delivery.send_html(context.bot, chat_id, texts.RELOAD_FAILED.format(reason=e(str(exc))))
        return
    meta = outcome.meta
    template = texts.RELOADED if outcome.changed else texts.RELOAD_UNCHANGED
    await data.delivery.send_html(context.bot, chat_id, template.format(
        items=meta.items, built_at=e(meta.built_at), build_id=e(meta.build_id)))
