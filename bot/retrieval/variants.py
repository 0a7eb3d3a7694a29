"""Searchers over a changed copy of a loaded index, built in memory: for measuring
(scripts/evaluate.py ablations) and for fitting the decision on questions the index does
not contain (scripts/fit_decision.py). The running bot never uses this."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from bot.retrieval.lexical import LexicalIndex, TokenCache, build_lexical
from bot.retrieval.searcher import Searcher
from bot.retrieval.store import make_faiss, target_documents, typo_table

# One per process: scripts/fit_decision.py builds dozens of variants of the same passages.
_TOKENS = TokenCache()


def variant(searcher, keep=None, vectors_extra=None, passages_extra=None, synonyms=None, config=None,
            referrals: bool = True, keep_outside=None) -> Searcher:
    """The system with some passages (or off-list questions, `keep_outside(text)`) left out, or
    passages added, other synonyms or settings, built in memory."""
    idx = searcher.index
    vectors = idx.faiss_index.reconstruct_n(0, idx.faiss_index.ntotal)
    chosen = [i for i, p in enumerate(idx.passages)
              if (keep is None or keep(p)) and (referrals or not p.item_id.startswith("ref-"))]
    passages = [idx.passages[i] for i in chosen]
    vectors = vectors[chosen]
    if passages_extra:
        passages = passages + passages_extra
        vectors = np.vstack([vectors, vectors_extra])
    synonyms = idx.synonyms if synonyms is None else synonyms
    refs = idx.referrals if referrals else []
    targets = [d.id for d in idx.duties] + [r.id for r in refs]
    lexical = build_lexical(target_documents(passages, targets), synonyms, _TOKENS)
    # The typo table counts its targets and spellings over these passages only: a question held out
    # of a fold must not have shaped how the fold's index reads it.
    pinyin = typo_table(passages, LexicalIndex(lexical, synonyms), previous=idx.pinyin)
    kept = [i for i, o in enumerate(idx.outside) if keep_outside is None or keep_outside(o.q)]
    loaded = replace(idx, passages=passages, faiss_index=make_faiss(vectors), lexical=lexical, synonyms=synonyms,
                     pinyin=pinyin,
                     referrals=refs, outside=[idx.outside[i] for i in kept], outside_vectors=idx.outside_vectors[kept])
    return Searcher(loaded, searcher.embedder, config or searcher.config)
