"""`python -m bot web`: serve the web page until SIGTERM or SIGINT.

    python -m bot web [--host H] [--port P] [--env-file F]

Start-up problems an admin can fix end with one line on stderr and a non-zero exit code,
never a traceback: 2 for settings (a bad value, or no WEB_ACCESS_KEY while asked to listen
beyond 127.0.0.1), 1 for the rest (a broken corpus, the port taken).
"""
from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.channels.web.access import listen_refusal
from bot.channels.web.app import make_app
from bot.corpus.model import CorpusError
from bot.engine import ContactBook, Engine
from bot.feedback.question_log import QuestionLog
from bot.feedback.usage import UsageLog
from bot.logging_setup import configure_logging
from bot.retrieval.live import SearcherHolder
from bot.retrieval.store import IndexUnavailable
from bot.settings import ROOT, Settings, SettingsError

# Requests still running at SIGTERM get this long; the whole shutdown stays within 5 s.
SHUTDOWN_TIMEOUT = 2.0

log = logging.getLogger("bot")


def fail(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _port(raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {raw!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port number is 1-65535, got {port}")
    return port


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on (default: WEB_HOST, 127.0.0.1)")
    parser.add_argument("--port", type=_port, help="port to listen on (default: WEB_PORT, 8080)")
    parser.add_argument("--env-file", type=Path, default=ROOT / ".env",
                        help="settings file read before the environment (default: .env in the project)")


@dataclass(frozen=True)
class Listen:
    settings: Settings
    host: str
    port: int


def listen_settings(args: argparse.Namespace) -> Listen | int:
    """The settings and where to listen, or the exit code after saying what is wrong."""
    try:
        settings = Settings.from_env(env_file=args.env_file)
    except SettingsError as exc:
        return fail(str(exc), 2)
    host = args.host or settings.web_host
    port = args.port or settings.web_port
    refusal = listen_refusal(host, settings.web_access_key)
    if refusal:
        return fail(refusal, 2)
    return Listen(settings, host, port)


def web_secrets(settings: Settings) -> list[str]:
    return [settings.web_access_key, settings.web_admin_key]


def new_engine(settings: Settings) -> Engine:
    """An engine whose index is opened (or built) when the app starts."""
    return Engine(SearcherHolder(settings), ContactBook(settings.contacts_file), settings.top_k)


def web_usage(settings: Settings) -> UsageLog:
    # Never fails: an unusable file is a warning, and the page answers without logging.
    return UsageLog(QuestionLog(settings.question_log_path, settings.log_salt, settings.log_retention_days),
                    channel="web")


def run(args: argparse.Namespace) -> int:
    where = listen_settings(args)
    if isinstance(where, int):
        return where
    settings = where.settings
    configure_logging(settings.log_level, web_secrets(settings))
    app = make_app(settings, new_engine(settings), web_usage(settings))

    def ready(*_) -> None:
        log.info("ready: serving the web page on http://%s:%d", where.host, where.port)

    try:
        # access_log=None: request lines would carry ?key= and the questions; answers are logged briefly.
        web.run_app(app, host=where.host, port=where.port, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT,
                    print=ready)
    except (CorpusError, IndexUnavailable) as exc:
        return fail(str(exc))
    except OSError as exc:
        return fail(f"cannot listen on {where.host}:{where.port}: {exc}")
    log.info("stopped")
    return 0
