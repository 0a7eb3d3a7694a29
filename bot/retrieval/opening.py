"""Open a ready-to-use Searcher from settings: load the model once, build or load the index.

Start-up keeps serving whenever it can: a corpus that no longer validates leaves the last
good build in service (with a warning for the admins), and a build that fails to load
falls back to the previous one.
"""
from __future__ import annotations

import logging

from bot.corpus.model import CorpusError
from bot.retrieval.embedders import load_embedder
from bot.retrieval.searcher import SearchConfig, Searcher
from bot.retrieval.store import (
    IndexUnavailable,
    build_index,
    check_index,
    live_meta_damaged,
    load_index,
    read_corpus,
)
from bot.settings import Settings

log = logging.getLogger(__name__)


def open_searcher(settings: Settings, build_if_needed: bool = False, progress: bool = False,
                  config: SearchConfig | None = None, allow_stale: bool = False) -> Searcher:
    """A Searcher over the current index.

    With build_if_needed, a missing or stale index is (re)built first (the first run of
    ask.py); otherwise a stale one raises IndexUnavailable naming the fix, unless
    allow_stale (the bot, whose builds run elsewhere: it serves the last good build).
    """
    embedder = load_embedder(settings.embedding_model)
    problem = check_index(settings, embedder.name)
    corpus_problem = ""
    if problem:
        if not build_if_needed and not allow_stale and not live_meta_damaged(settings.index_dir):
            raise IndexUnavailable(problem)
    if problem and build_if_needed:
        log.info("%s; building the index now", problem.split(":")[0])
        try:
            report = build_index(settings, embedder, progress=progress)
            log.info(report.summary())
        except CorpusError as exc:
            corpus_problem = str(exc)
    elif problem and allow_stale:
        # Serving an older build (its builds run elsewhere): say so if the corpus that did
        # not become a build has an error, as a build here would have.
        try:
            read_corpus(settings.corpus_dir)
        except CorpusError as exc:
            corpus_problem = str(exc)
    try:
        index = load_index(settings, embedder.name, allow_stale=allow_stale or bool(corpus_problem))
    except IndexUnavailable:
        if corpus_problem:  # nothing to fall back on: the corpus error is the real news
            raise CorpusError(corpus_problem) from None
        raise
    if corpus_problem:
        log.warning("the corpus has an error, still answering from build %s: %s", index.meta.build_id,
                    corpus_problem)
    searcher = Searcher(index, embedder, config or SearchConfig(max_chars=settings.max_question_chars))
    searcher.corpus_problem = corpus_problem
    return searcher
