"""A deterministic stand-in for the embedding model (as simonw/llm tests with its EmbedDemo model):
texts sharing characters get similar vectors, so search logic can be tested without a model."""
from __future__ import annotations

import zlib

import numpy as np


class FakeEmbedder:
    name = "fake"
    dim = 64

    def _embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            grams = list(text) + [text[i:i + 2] for i in range(len(text) - 1)]
            for g in grams:
                out[row, zlib.crc32(g.encode()) % self.dim] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
        return out

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts)
