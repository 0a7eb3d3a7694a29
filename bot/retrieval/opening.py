"""Open a ready-to-use Searcher from settings: load the model once, build or load the index."""
from __future__ import annotations

import logging

from bot.retrieval.embedders import load_embedder
from bot.retrieval.lexical import SynonymTable
from bot.retrieval.searcher import SearchConfig, Searcher
from bot.retrieval.store import IndexUnavailable, build_index, check_index, load_index
from bot.settings import Settings

log = logging.getLogger(__name__)


def open_searcher(settings: Settings, build_if_needed: bool = False, progress: bool = False,
                  config: SearchConfig | None = None) -> Searcher:
    """A Searcher over the current index.

    With build_if_needed, a missing or stale index is (re)built first (the first run of
    ask.py, the bot's start-up); otherwise that raises IndexUnavailable naming the fix.
    """
    embedder = load_embedder(settings.embedding_model)
    problem = check_index(settings, embedder.name)
    if problem:
        if not build_if_needed:
            raise IndexUnavailable(problem)
        log.info("%s; building the index now", problem.split(":")[0])
        report = build_index(settings, embedder, progress=progress)
        log.info(report.summary())
    index = load_index(settings, embedder.name)
    config = config or SearchConfig(max_chars=settings.max_question_chars)
    return Searcher(index, embedder, SynonymTable.load(settings.synonyms_path), config)
