"""Lexical matching: BM25 over jieba tokens, with a synonym table for spoken and official terms.

Dense embeddings miss rare exact terms (三重一大, 河长制, 两癌); BM25 catches them.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import bm25s
import jieba
import numpy as np

jieba.setLogLevel(logging.WARNING)
# bm25s logs every index build at DEBUG on its own handler; keep start-up output clean.
logging.getLogger("bm25s").setLevel(logging.WARNING)

# Words that carry no topic in staff questions ("谁管", "咋办", "镇里" …).
STOPWORDS = set(
    "的 了 是 在 有 和 与 及 或 等 对 把 被 给 让 吗 呢 吧 啊 呀 么 嘛 哪 啥 咋 怎么 怎样 怎么办 咋办 什么 谁 谁管 "
    "归 管 找 该 去 要 想 能 会 可以 这 那 这个 那个 这事 事 事儿 一个 个 们 我 我们 你 他 她 它 他们 "
    "里 上 下 村里 镇里 镇上 屯里 负责 归谁 哪个 部门 哪里 办 问 请问 一下 还 也 都 就 又 不 没 没有 "
    "现在 应该 需要 如何 工作 情况 相关 进行 开展 辖区 辖区内 本镇 乡镇 街道".split()
)
_PUNCT = re.compile(r"^[\W_]+$", re.UNICODE)


@dataclass(frozen=True)
class SynonymTable:
    """Maps spoken or abbreviated terms to the list's own wording (新农合 -> 城乡居民医疗保险)."""

    pairs: tuple[tuple[str, str], ...] = ()

    @classmethod
    def load(cls, path: Path) -> "SynonymTable":
        if not path.exists():
            return cls()
        pairs = []
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            canonical, _, variants = line.partition("\t")
            for variant in variants.replace("，", ",").split(","):
                if variant.strip():
                    pairs.append((variant.strip(), canonical.strip()))
        # Longest variants first so "五保户" wins over "五保".
        pairs.sort(key=lambda p: -len(p[0]))
        return cls(tuple(pairs))

    def official_terms(self, text: str) -> list[str]:
        """The list's own terms for the spoken variants found in text."""
        extra: list[str] = []
        for variant, canonical in self.pairs:
            if variant in text and canonical not in text and canonical not in extra:
                extra.append(canonical)
        return extra

    def expand(self, text: str) -> str:
        """Append the official terms for any spoken variants found (the original text stays)."""
        extra = self.official_terms(text)
        return text if not extra else text + " " + " ".join(extra)

    def words(self) -> set[str]:
        return {w for pair in self.pairs for w in pair}


def tokenize(text: str) -> list[str]:
    tokens = []
    for tok in jieba.lcut_for_search(text.lower()):
        tok = tok.strip()
        if tok and tok not in STOPWORDS and not _PUNCT.match(tok):
            tokens.append(tok)
    return tokens


class LexicalIndex:
    """BM25 over one document per item (all of the item's passages joined)."""

    def __init__(self, item_ids: list[str], documents: list[str], synonyms: SynonymTable,
                 synonym_weight: float = 0.5) -> None:
        # Sorted: jieba derives a new word's frequency from the words added before it,
        # so set order (random per process) would change tokenisation between runs.
        for word in sorted(synonyms.words()):
            jieba.add_word(word)
        self.item_ids = item_ids
        self.synonyms = synonyms
        self.synonym_weight = synonym_weight
        self._bm25 = bm25s.BM25()
        self._bm25.index([tokenize(d) or ["∅"] for d in documents], show_progress=False)

    def _bm25_scores(self, tokens: list[str]) -> np.ndarray:
        if not tokens:
            return np.zeros(len(self.item_ids), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)

    def scores(self, question: str) -> tuple[np.ndarray, list[str]]:
        """BM25 score per item (in item_ids order) and the query tokens that were used.

        Official terms added by the synonym table count less than the user's own
        words: they are a guess at what was meant.
        """
        tokens = [t for t in tokenize(question) if t in self._vocab]
        extra = [t for term in self.synonyms.official_terms(question) for t in tokenize(term)
                 if t in self._vocab and t not in tokens]
        scores = self._bm25_scores(tokens)
        if extra and self.synonym_weight:
            scores = scores + self.synonym_weight * self._bm25_scores(extra)
        return scores, tokens + extra

    @property
    def _vocab(self) -> dict:
        return self._bm25.vocab_dict
