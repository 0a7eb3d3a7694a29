"""Lexical matching: BM25 over jieba tokens, with a synonym table for spoken and official terms.

Dense embeddings miss rare exact terms (三重一大, 河长制, 两癌); BM25 catches them.

Built once per index build (`build_lexical`, jieba + bm25s) and stored in the build as plain
arrays; answering (`LexicalIndex`) only looks words up: it neither imports jieba nor
tokenises anything at load. A question is split into the index's own words by finding every
vocabulary word it contains (what jieba's search mode yields for the documents), so no
tokenizer is needed at question time.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.corpus.synonyms import SynonymTable

# Words that carry no topic in staff questions ("谁管", "咋办", "镇里" …).
STOPWORDS = frozenset(
    "的 了 是 在 有 和 与 及 或 等 对 把 被 给 让 吗 呢 吧 啊 呀 么 嘛 哪 啥 咋 怎么 怎样 怎么办 咋办 什么 谁 谁管 "
    "归 管 找 该 去 要 想 能 会 可以 这 那 这个 那个 这事 事 事儿 一个 个 们 我 我们 你 他 她 它 他们 "
    "里 上 下 村里 镇里 镇上 屯里 负责 归谁 哪个 部门 哪里 办 问 请问 一下 还 也 都 就 又 不 没 没有 "
    "现在 应该 需要 如何 工作 情况 相关 进行 开展 辖区 辖区内 本镇 乡镇 街道".split()
)
_PUNCT = re.compile(r"^[\W_]+$", re.UNICODE)
MAX_WORD = 8  # longest vocabulary word looked for in a question
TOKENS_FORMAT = 1  # part of TokenCache's key: raise it when tokenize_texts changes what it keeps


def _keep(token: str) -> bool:
    return bool(token) and token not in STOPWORDS and not _PUNCT.match(token)


def tokenizer_key(extra_words: list[str]) -> str:
    """What a text's tokens depend on besides the text: jieba's version, the added words and the
    stopwords dropped from the tokens."""
    import jieba  # cheap: jieba loads its dictionary on first use, not on import

    parts = [f"tokens {TOKENS_FORMAT}, jieba {jieba.__version__}", *sorted(set(extra_words)), "stopwords:",
             *sorted(STOPWORDS)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@dataclass
class TokenCache:
    """jieba tokens by text, for one tokenizer (`key`).

    Tokenising is most of a rebuild's time when few texts need embedding: a build keeps the
    tokens of its passages and the next build (after a corpus edit, a learnt question)
    re-tokenises only texts it has not seen. A document's tokens are its parts' tokens in
    order, which is what jieba yields for the parts joined by a space (it cuts at spaces).
    """

    key: str = ""
    tokens: dict[str, list[str]] = field(default_factory=dict)

    FILE = "lexical_tokens.json"

    def use(self, key: str) -> None:
        if key != self.key:  # another tokenizer: nothing cached applies
            self.key, self.tokens = key, {}

    def keep_only(self, texts: set[str]) -> None:
        self.tokens = {t: v for t, v in self.tokens.items() if t in texts}

    def save(self, folder: Path) -> None:
        data = {"key": self.key, "tokens": self.tokens}
        (folder / self.FILE).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> TokenCache:
        """The tokens a build kept; empty when it kept none or they do not read (a cache only)."""
        try:
            data = json.loads((folder / cls.FILE).read_text(encoding="utf-8"))
            return cls(str(data["key"]), {str(t): [str(w) for w in v] for t, v in data["tokens"].items()})
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return cls()


def tokenize_texts(texts: list[str], extra_words: list[str], cache: TokenCache) -> list[list[str]]:
    """jieba search-mode tokens per text, taken from the cache where it has them.

    A private jieba.Tokenizer: adding the synonym words must not change how any other
    index (or anything else in the process) tokenises.
    """
    cache.use(tokenizer_key(extra_words))
    todo = [t for t in dict.fromkeys(texts) if t not in cache.tokens]
    if todo:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        # Sorted: jieba derives a new word's frequency from the words added before it.
        for word in sorted(set(extra_words)):
            tokenizer.add_word(word)
        for text in todo:
            cache.tokens[text] = [t.strip() for t in tokenizer.lcut_for_search(text.lower()) if _keep(t.strip())]
    return [cache.tokens[t] for t in texts]


@dataclass
class LexicalState:
    """BM25 weights of every (word, document) pair, as CSR arrays: what answering needs."""

    vocab: list[str]
    indptr: np.ndarray  # per word: its slice of doc_ids/weights
    doc_ids: np.ndarray
    weights: np.ndarray
    n_docs: int

    def save(self, folder: Path) -> None:
        np.savez(folder / "lexical.npz", indptr=self.indptr, doc_ids=self.doc_ids, weights=self.weights,
                 n_docs=np.array([self.n_docs]))
        (folder / "lexical_vocab.txt").write_text("\n".join(self.vocab) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> LexicalState:
        arrays = np.load(folder / "lexical.npz")
        vocab = (folder / "lexical_vocab.txt").read_text(encoding="utf-8").split("\n")[:-1]
        state = cls(vocab, arrays["indptr"], arrays["doc_ids"], arrays["weights"], int(arrays["n_docs"][0]))
        if len(state.indptr) != len(vocab) + 1 or state.indptr[-1] != len(state.doc_ids) != len(state.weights):
            raise ValueError(f"{folder}: lexical index files do not agree")
        return state


def build_lexical(documents: list[list[str]], synonyms: SynonymTable, cache: TokenCache | None = None) -> LexicalState:
    """BM25 (bm25s, Lucene variant) over the documents, each given as its parts (an item's
    passages), flattened to per-word weights. `cache` gives and collects the parts' tokens."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    parts = [p for d in documents for p in d]
    part_tokens = iter(tokenize_texts(parts, sorted(synonyms.words()), TokenCache() if cache is None else cache))
    tokens = [[w for _ in d for w in next(part_tokens)] for d in documents]
    model = bm25s.BM25()
    model.index([t or ["∅"] for t in tokens], show_progress=False)
    scores = model.scores  # per word: its documents (indices) and BM25 weights (data)
    vocab = [""] * (len(scores["indptr"]) - 1)
    for word, row in model.vocab_dict.items():
        if row < len(vocab):
            vocab[row] = word
    return LexicalState(vocab, np.asarray(scores["indptr"], dtype=np.int64),
                        np.asarray(scores["indices"], dtype=np.int32),
                        np.asarray(scores["data"], dtype=np.float32), len(documents))


class LexicalIndex:
    """Answers BM25 queries from a LexicalState; no tokenizer needed."""

    def __init__(self, state: LexicalState, synonyms: SynonymTable, synonym_weight: float = 0.25) -> None:
        self.state = state
        self.synonyms = synonyms
        self.synonym_weight = synonym_weight
        self._row = {w: i for i, w in enumerate(state.vocab) if _keep(w)}

    def words_in(self, text: str) -> list[str]:
        """Every vocabulary word the text contains (each once, in order of first appearance)."""
        text = text.lower()
        found: dict[str, None] = {}
        covered = [False] * len(text)
        for start in range(len(text)):
            for end in range(start + 2, min(len(text), start + MAX_WORD) + 1):
                word = text[start:end]
                if word in self._row:
                    found.setdefault(word)
                    covered[start:end] = [True] * (end - start)
        # Single characters only where no longer word covers them, as jieba's search mode.
        for i, char in enumerate(text):
            if not covered[i] and char in self._row:
                found.setdefault(char)
        return list(found)

    def _bm25(self, words: list[str]) -> np.ndarray:
        out = np.zeros(self.state.n_docs, dtype=np.float32)
        s = self.state
        for word in words:
            row = self._row[word]
            lo, hi = s.indptr[row], s.indptr[row + 1]
            np.add.at(out, s.doc_ids[lo:hi], s.weights[lo:hi])
        return out

    def scores(self, question: str) -> np.ndarray:
        """BM25 score per document. Official terms added by the synonym table count less
        than the user's own words: they are a guess at what was meant."""
        words = self.words_in(question)
        scores = self._bm25(words)
        extra = [w for term in self.synonyms.official_terms(question) for w in self.words_in(term)
                 if w not in words]
        if extra and self.synonym_weight:
            scores = scores + self.synonym_weight * self._bm25(list(dict.fromkeys(extra)))
        return scores
