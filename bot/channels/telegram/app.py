"""The Telegram Application: one factory that wires settings, handlers, jobs and start-up work."""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.answers import texts
from bot.answers.render import e
from bot.channels.rate_limit import RateLimiter
from bot.channels.telegram import admin, buttons, callbacks, handlers
from bot.channels.telegram.access import AccessGate
from bot.channels.telegram.context import CONTEXT_TYPES, BotData, Context
from bot.channels.telegram.delivery import Delivery
from bot.channels.telegram.gate import gate
from bot.engine import ContactBook, Engine
from bot.feedback.question_log import QuestionLog
from bot.feedback.usage import UsageLog
from bot.logging_setup import quiet_http_loggers
from bot.retrieval.live import SearcherHolder
from bot.retrieval.searcher import Searcher
from bot.settings import Settings

log = logging.getLogger(__name__)

# Everything else (channel posts, inline queries, chat members) the bot has no use for.
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]
PRUNE_EVERY = timedelta(days=1)
APOLOGY_EVERY_SECONDS = 10.0
# 429s shorter than this are waited out by PTB's rate limiter itself; longer ones reach
# the delivery deadline (delivery.py).
RATE_LIMITER_RETRIES = 2


class _FloodWaitPassedOn(logging.Filter):
    """PTB's rate limiter logs an ERROR with a traceback when it passes a 429 on after its own
    retries; Delivery waits that one out too (and logs each retry as a warning), so it is a
    warning here as well, without the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and record.getMessage().startswith("Rate limit hit after maximum"):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text = None, None
        return True


def _quiet_rate_limiter_errors() -> None:
    limiter_log = logging.getLogger("telegram.ext.AIORateLimiter")
    if not any(isinstance(f, _FloodWaitPassedOn) for f in limiter_log.filters):
        limiter_log.addFilter(_FloodWaitPassedOn())


def api_urls(base_url: str) -> tuple[str, str]:
    """TELEGRAM_BASE_URL is a Bot API server's root (http://host:8081); PTB wants …/bot and …/file/bot."""
    root = base_url.rstrip("/")
    if root.endswith("/bot"):
        root = root[: -len("/bot")]
    return f"{root}/bot", f"{root}/file/bot"


async def _watch_index(context: Context) -> None:
    try:
        await context.bot_data.holder.refresh_if_rebuilt()
    except Exception:
        log.exception("checking the index for a rebuild failed")


async def _prune_log(context: Context) -> None:
    await context.bot_data.usage.prune()


async def _send_apologies(context: Context) -> None:
    await context.bot_data.delivery.send_apologies(context.bot, texts.UNDELIVERED_APOLOGY)


async def _post_init(app: Application) -> None:
    data: BotData = app.bot_data
    log.info("connected to Telegram as @%s", app.bot.username)
    if data.holder.searcher is None:
        log.info("opening the search index in %s (building it if missing or stale)", data.settings.index_dir)
        data.holder.searcher = await data.holder.open(build_if_needed=True)
    await data.delivery.call(lambda: app.bot.set_my_commands([BotCommand(n, d) for n, d in texts.COMMANDS]),
                             "setMyCommands")
    jobs = app.job_queue
    assert jobs is not None  # the job-queue extra is a dependency
    if data.settings.index_watch_seconds > 0:
        jobs.run_repeating(_watch_index, interval=data.settings.index_watch_seconds, name="index-watch")
    if data.usage.available:  # retention: prune now, then once a day
        jobs.run_repeating(_prune_log, interval=PRUNE_EVERY, first=0, name="log-prune")
    jobs.run_repeating(_send_apologies, interval=APOLOGY_EVERY_SECONDS, name="apologies")
    problem = getattr(data.holder.searcher, "corpus_problem", "")
    if problem:  # serving an older build because the corpus has an error: admins should know
        for admin_id in sorted(data.settings.admin_user_ids):
            await data.delivery.send_html(app.bot, admin_id, texts.STARTUP_CORPUS_PROBLEM.format(
                build_id=e(data.holder.build_id), reason=e(problem)))
    log.info("ready: answering questions")


async def _post_stop(app: Application) -> None:
    data: BotData = app.bot_data
    data.holder.kill_build()


async def _post_shutdown(app: Application) -> None:
    data: BotData = app.bot_data
    await data.holder.stop()  # a stop signal during start-up's build skips post_stop
    data.usage.close()
    data.search_pool.shutdown(wait=False, cancel_futures=True)


def _stopping(app: Application):
    """Wrap Application.stop so waiting deliveries give up at once when shutdown begins."""
    original = app.stop

    async def stop() -> None:
        app.bot_data.delivery.stopping = True
        app.bot_data.holder.kill_build()
        await original()
    app.stop = stop  # type: ignore[method-assign]


def build_application(settings: Settings, searcher: Searcher | None = None,
                      engine: Engine | None = None) -> Application:
    """The bot, ready for run_polling(). Without a searcher, post_init opens (or builds) the index.

    `engine`: answer over an engine (and its index holder) shared with another channel in the
    same process (`python -m bot all`) instead of a new one.
    """
    quiet_http_loggers()
    _quiet_rate_limiter_errors()
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .context_types(CONTEXT_TYPES)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .rate_limiter(AIORateLimiter(max_retries=RATE_LIMITER_RETRIES))
        .concurrent_updates(True)  # one slow answer must not hold up other users
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
    )
    if settings.telegram_base_url:
        api, files = api_urls(settings.telegram_base_url)
        builder = builder.base_url(api).base_file_url(files)
    if settings.telegram_proxy:
        builder = builder.proxy(settings.telegram_proxy).get_updates_proxy(settings.telegram_proxy)
    app = builder.build()

    data: BotData = app.bot_data
    data.settings = settings
    if engine is None:
        engine = Engine(SearcherHolder(settings, searcher), ContactBook(settings.contacts_file), settings.top_k)
    data.holder = engine.holder
    data.engine = engine
    data.gate = AccessGate(settings.allowed_user_ids, settings.admin_user_ids)
    data.limiter = RateLimiter(settings.rate_limit_per_minute)
    # Never fails: an unusable file is a warning, and the bot answers without logging.
    data.usage = UsageLog(QuestionLog(settings.question_log_path, settings.log_salt, settings.log_retention_days),
                          channel="telegram")
    data.delivery = Delivery(settings.delivery_deadline_seconds)
    data.search_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="search")
    _stopping(app)

    app.add_handler(TypeHandler(Update, gate), group=-1)
    new_only = filters.UpdateType.MESSAGE  # an edited command is not run again
    app.add_handler(CommandHandler("start", handlers.on_start, filters=new_only))
    app.add_handler(CommandHandler("help", handlers.on_help, filters=new_only))
    app.add_handler(CommandHandler("list", handlers.on_list, filters=new_only))
    app.add_handler(CommandHandler("reload", admin.on_reload, filters=new_only))
    app.add_handler(CommandHandler("stats", admin.on_stats, filters=new_only))
    app.add_handler(CommandHandler("unanswered", admin.on_unanswered, filters=new_only))
    app.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE & new_only, handlers.on_unknown_command))
    # New and edited texts alike: an edited question is answered again.
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, handlers.on_text))
    app.add_handler(MessageHandler(filters.ATTACHMENT & new_only, handlers.on_non_text))
    for kind, handler in ((callbacks.ITEM, buttons.on_item), (callbacks.FULL, buttons.on_full),
                          (callbacks.ASK, buttons.on_ask), (callbacks.LISTS, buttons.on_lists),
                          (callbacks.LIST, buttons.on_list), (callbacks.CATEGORY, buttons.on_category),
                          (callbacks.VOTE, buttons.on_vote), (callbacks.FIX, buttons.on_fix)):
        app.add_handler(CallbackQueryHandler(handler, pattern=kind.pattern))
    app.add_handler(CallbackQueryHandler(buttons.on_stale))
    app.add_error_handler(handlers.on_error)
    return app
