"""The Telegram Application: one factory that wires settings, handlers and start-up work."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import sys

from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.answers import texts
from bot.channels.rate_limit import RateLimiter
from bot.channels.telegram import handlers
from bot.channels.telegram.access import AccessGate
from bot.channels.telegram.sending import with_retry
from bot.feedback.question_log import QuestionLog
from bot.logging_setup import quiet_http_loggers
from bot.retrieval.live import SearcherHolder, watch_index
from bot.retrieval.searcher import Searcher
from bot.settings import Settings

log = logging.getLogger(__name__)

# Everything else (channel posts, inline queries, chat members) the bot has no use for.
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]
_WATCH_TASK = "index_watch_task"
_PRUNE_TASK = "log_prune_task"


def api_urls(base_url: str) -> tuple[str, str]:
    """TELEGRAM_BASE_URL is a Bot API server's root (http://host:8081); PTB wants …/bot and …/file/bot."""
    root = base_url.rstrip("/")
    if root.endswith("/bot"):
        root = root[: -len("/bot")]
    return f"{root}/bot", f"{root}/file/bot"


async def _post_init(app: Application) -> None:
    st: handlers.BotState = app.bot_data["state"]
    log.info("connected to Telegram as @%s", app.bot.username)
    if st.holder.searcher is None:
        log.info("opening the search index in %s (building it if missing or stale)", st.settings.index_dir)
        st.holder.searcher = await st.holder.open(build_if_needed=True, progress=sys.stderr.isatty())
    commands = [BotCommand(name, description) for name, description in texts.COMMANDS]
    await with_retry(lambda: app.bot.set_my_commands(commands), "setMyCommands")
    if st.settings.index_watch_seconds > 0:
        # No JobQueue (needs the job-queue extra); a plain task, cancelled in post_shutdown.
        app.bot_data[_WATCH_TASK] = asyncio.create_task(
            watch_index(st.holder, st.settings.index_watch_seconds), name="index-watch")
    if st.usage.available:  # retention: prune now, then once a day
        app.bot_data[_PRUNE_TASK] = asyncio.create_task(st.usage.prune_daily(), name="log-prune")
    log.info("ready: answering questions")


async def _post_shutdown(app: Application) -> None:
    for name in (_WATCH_TASK, _PRUNE_TASK):
        task = app.bot_data.pop(name, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    await app.bot_data["state"].usage.close()


def build_application(settings: Settings, searcher: Searcher | None = None) -> Application:
    """The bot, ready for run_polling(). Without a searcher, post_init opens (or builds) the index."""
    quiet_http_loggers()
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .concurrent_updates(True)  # one slow answer must not hold up other users
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if settings.telegram_base_url:
        api, files = api_urls(settings.telegram_base_url)
        builder = builder.base_url(api).base_file_url(files)
    if settings.telegram_proxy:
        builder = builder.proxy(settings.telegram_proxy).get_updates_proxy(settings.telegram_proxy)
    app = builder.build()

    app.bot_data["state"] = handlers.BotState(
        settings=settings,
        holder=SearcherHolder(settings, searcher),
        gate=AccessGate(settings.allowed_user_ids, settings.admin_user_ids),
        limiter=RateLimiter(settings.rate_limit_per_minute),
        # Never fails: an unusable file is a warning, and the bot answers without logging.
        qlog=QuestionLog(settings.question_log_path, settings.log_salt, settings.log_retention_days),
    )
    new_only = filters.UpdateType.MESSAGE  # an edited command is not run again
    app.add_handler(CommandHandler("start", handlers.on_start, filters=new_only))
    app.add_handler(CommandHandler("help", handlers.on_help, filters=new_only))
    app.add_handler(CommandHandler("list", handlers.on_list, filters=new_only))
    app.add_handler(CommandHandler("reload", handlers.on_reload, filters=new_only))
    app.add_handler(CommandHandler("stats", handlers.on_stats, filters=new_only))
    app.add_handler(CommandHandler("unanswered", handlers.on_unanswered, filters=new_only))
    app.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE & new_only, handlers.on_unknown_command))
    # New and edited texts alike: an edited question is answered again.
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, handlers.on_text))
    app.add_handler(MessageHandler(filters.ATTACHMENT & new_only, handlers.on_non_text))
    app.add_handler(CallbackQueryHandler(handlers.on_callback))
    app.add_error_handler(handlers.on_error)
    return app
