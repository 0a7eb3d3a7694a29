"""`python -m bot telegram`: run the Telegram channel with long polling until SIGTERM or SIGINT.

Start-up problems an admin can fix (no or a rejected token, Telegram unreachable, a broken
corpus) end with one line on stderr and a non-zero exit code, never a traceback.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from urllib.parse import urlsplit

from telegram.error import InvalidToken, NetworkError  # noqa: E402

from bot.channels.telegram.app import ALLOWED_UPDATES, api_urls, build_application  # noqa: E402
from bot.corpus.model import CorpusError  # noqa: E402
from bot.logging_setup import configure_logging  # noqa: E402
from bot.retrieval.store import IndexUnavailable  # noqa: E402
from bot.settings import ROOT, Settings, SettingsError  # noqa: E402

# Start-up survives a few seconds of a flaky proxy, but does not hang on a wrong one.
STARTUP_RETRIES = 3

log = logging.getLogger("bot")


def _without_password(url: str) -> str:
    """A proxy URL fit for output: user and password dropped."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


NO_TOKEN = "TELEGRAM_BOT_TOKEN is not set: put the token from @BotFather in .env or the environment"
REJECTED_TOKEN = "Telegram rejected TELEGRAM_BOT_TOKEN: check the token from @BotFather"


def unreachable(settings: Settings, exc: NetworkError) -> str:
    """The one line for a Bot API that cannot be reached at start-up (shared with `python -m bot all`)."""
    where = api_urls(settings.telegram_base_url)[0] if settings.telegram_base_url else "api.telegram.org"
    proxy = f" through {_without_password(settings.telegram_proxy)}" if settings.telegram_proxy \
        else " (no TELEGRAM_PROXY set)"
    return f"cannot reach the Telegram Bot API at {where}{proxy}: {exc}"


def secrets_of(settings: Settings) -> list[str]:
    """What logging must never print: the token and the proxy's password."""
    return [settings.telegram_bot_token, urlsplit(settings.telegram_proxy).password or ""]


def _fail(message: str, token: str = "", code: int = 1) -> int:
    if token:
        message = message.replace(token, "<REDACTED>")
    print(f"error: {message}", file=sys.stderr)
    return code


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env-file", type=Path, default=ROOT / ".env",
                        help="settings file read before the environment (default: .env in the project)")


def run(args: argparse.Namespace) -> int:
    try:
        settings = Settings.from_env(env_file=args.env_file)
    except SettingsError as exc:
        return _fail(str(exc), code=2)
    token = settings.telegram_bot_token
    if not token:
        return _fail(NO_TOKEN, code=2)
    configure_logging(settings.log_level, secrets_of(settings))

    app = build_application(settings)
    try:
        app.run_polling(allowed_updates=ALLOWED_UPDATES, bootstrap_retries=STARTUP_RETRIES)
    except InvalidToken:
        return _fail(REJECTED_TOKEN)
    except NetworkError as exc:
        return _fail(unreachable(settings, exc), token)
    except (CorpusError, IndexUnavailable) as exc:
        return _fail(str(exc), token)
    log.info("stopped")
    return 0
