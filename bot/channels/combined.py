"""`python -m bot all`: the Telegram bot and the web page in one process, over one loaded index.

    python -m bot all [--host H] [--port P] [--env-file F]

One event loop runs both: the aiohttp site and PTB's Application (started by hand, in the
order run_polling uses, post_init/post_stop/post_shutdown included). One SearcherHolder and
one Engine serve both channels; the Telegram side watches the index and prunes the question
log, for both. SIGTERM or SIGINT stops polling, then the web site, and exits 0; during a start-up build it
stops the build and exits 0 at once.
Start-up errors are the two channels' own one-liners (exit 2 for settings, 1 for the rest).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from aiohttp import web

from bot.channels.telegram import run as telegram_run
from bot.channels.web import run as web_run
from bot.channels.web.app import make_app
from bot.corpus.model import CorpusError
from bot.logging_setup import configure_logging
from bot.retrieval.store import IndexUnavailable

log = logging.getLogger("bot")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    web_run.add_arguments(parser)


async def serve(where: web_run.Listen, stop: asyncio.Event | None = None) -> None:
    """Both channels until `stop` is set (by default: SIGTERM or SIGINT)."""
    # Imported here, as in telegram.run: after PTB_TIMEDELTA is set (importing telegram.run sets it).
    from bot.channels.telegram.app import ALLOWED_UPDATES, build_application

    settings = where.settings
    loop = asyncio.get_running_loop()
    if stop is None:
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    engine = web_run.new_engine(settings)
    log.info("opening the search index in %s (building it if missing or stale)", settings.index_dir)
    # A start-up build takes minutes: a stop signal meanwhile ends it now, not after the build.
    opening = asyncio.ensure_future(engine.holder.open(build_if_needed=True))
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({opening, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not opening.done():
        log.info("stopping before the index was ready")
        await engine.holder.stop()
        return
    engine.holder.searcher = opening.result()

    bot = build_application(settings, engine=engine)
    runner = web.AppRunner(make_app(settings, engine, web_run.web_usage(settings), background=False),
                           access_log=None, shutdown_timeout=web_run.SHUTDOWN_TIMEOUT, handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, where.host, where.port).start()
        log.info("web page on http://%s:%d", where.host, where.port)
        async with bot:  # initialize() … shutdown()
            try:
                if bot.post_init:
                    await bot.post_init(bot)
                await bot.start()
                assert bot.updater is not None
                await bot.updater.start_polling(allowed_updates=ALLOWED_UPDATES,
                                                bootstrap_retries=telegram_run.STARTUP_RETRIES)
                log.info("ready: Telegram and the web page")
                await stop.wait()
            finally:
                if bot.updater is not None and bot.updater.running:
                    await bot.updater.stop()
                if bot.running:
                    await bot.stop()
                if bot.post_stop:
                    await bot.post_stop(bot)
        if bot.post_shutdown:
            await bot.post_shutdown(bot)
    finally:
        await runner.cleanup()
        await engine.holder.stop()


def run(args: argparse.Namespace) -> int:
    where = web_run.listen_settings(args)
    if isinstance(where, int):
        return where
    settings = where.settings
    token = settings.telegram_bot_token
    if not token:
        return web_run.fail(telegram_run.NO_TOKEN, 2)
    configure_logging(settings.log_level, telegram_run.secrets_of(settings) + web_run.web_secrets(settings))

    from telegram.error import InvalidToken, NetworkError

    def failed(message: str) -> int:
        return web_run.fail(message.replace(token, "<REDACTED>"))

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(where))
    except InvalidToken:
        return failed(telegram_run.REJECTED_TOKEN)
    except NetworkError as exc:
        return failed(telegram_run.unreachable(settings, exc))
    except (CorpusError, IndexUnavailable) as exc:
        return failed(str(exc))
    except OSError as exc:
        return failed(f"cannot listen on {where.host}:{where.port}: {exc}")
    log.info("stopped")
    return 0
