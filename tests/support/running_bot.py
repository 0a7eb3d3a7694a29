"""A python-telegram-bot Application polling the stand-in Bot API from its own thread: the
harness of the end-to-end tests (tests/conftest.py) and of scripts/fault_drill.py."""
from __future__ import annotations

import asyncio
import threading

from telegram_stub import TelegramStub

from bot.settings import Settings


class RunningBot:
    """One Application polling the stub from its own thread and event loop."""

    def __init__(self, settings: Settings, stub: TelegramStub, searcher=None) -> None:
        from bot.channels.telegram.app import ALLOWED_UPDATES, build_application

        self.settings = settings
        self.app = build_application(settings, searcher)
        self.loop = asyncio.new_event_loop()
        self.failure: BaseException | None = None

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            try:
                # stop_signals=None: signal handlers belong to the main thread (pytest's).
                self.app.run_polling(allowed_updates=ALLOWED_UPDATES, stop_signals=None, close_loop=True)
            except BaseException as exc:  # reported by start()/stop()
                self.failure = exc

        self.thread = threading.Thread(target=run, name="bot-under-test", daemon=True)
        self.thread.start()
        polling = lambda: any(c.method == "getUpdates" and c.token == settings.telegram_bot_token  # noqa: E731
                              for c in stub.calls)
        stub.wait_for(lambda: self.failure or (self.app.running and polling()),
                      timeout=120, what="the bot to start polling")
        if self.failure:
            raise self.failure

    @property
    def data(self):
        return self.app.bot_data

    @property
    def qlog(self):
        """The bot's question log, with everything queued so far written (thread-safe)."""
        self.data.usage.flush()
        return self.data.usage.qlog

    def stop(self, timeout: float = 10.0) -> None:
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.app.stop_running)
            self.thread.join(timeout)
        assert not self.thread.is_alive(), "the bot did not stop"
        if self.failure:
            raise self.failure
