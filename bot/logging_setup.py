"""Logging for the bot process: one stderr handler that never prints the bot token."""
from __future__ import annotations

import logging
import sys

# Records the entry point reports itself, in one line (a rejected token, Telegram unreachable
# at start-up); PTB would otherwise log them again with a traceback.
_STARTUP_FAILURE = "Bootstrap Initialize Application"


class RedactingFormatter(logging.Formatter):
    """Replaces secrets anywhere in the formatted record, tracebacks included."""

    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__(fmt)
        self.secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, "<REDACTED>")
        return text


def _not_startup_failure(record: logging.LogRecord) -> bool:
    return not (record.levelno >= logging.ERROR and _STARTUP_FAILURE in record.getMessage())


def quiet_http_loggers() -> None:
    """httpx logs every request URL at INFO, and the URL contains the token."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


def configure_logging(level: str, secrets: list[str]) -> None:
    """Root logging to stderr at `level`; the secrets (bot token, proxy password) never printed."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets))
    handler.addFilter(_not_startup_failure)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.captureWarnings(True)  # so warnings go through the redacting handler too
    quiet_http_loggers()
