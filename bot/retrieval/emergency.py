"""Is someone in danger right now? A linear model over the question's embedding and its
character pairs, fitted at build time on corpus/emergency.jsonl (urgent questions and
non-urgent ones on the same topics: prevention, paperwork, things already over).

Which kind of danger (fire, water, gas …) is read off the nearest urgent examples, so the
answer can put the right number first. Fitting is numpy only: a few hundred examples.
"""
from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HASH_BUCKETS = 2048
L2 = 1e-3
EPOCHS = 400
LEARNING_RATE = 0.5
NEIGHBOURS = 5
FOLDS = 5
# The threshold is chosen at build time on held-out folds of the training examples: the
# lowest probability at which at most this share of calm questions raise the alarm (a false
# alarm on "防火期上山要办啥手续" costs trust; a missed one costs more, hence the lowest; the training
# calm examples are mostly hard near-misses, so their rate runs well above real traffic's).
MAX_FALSE_ALARMS = 0.05
THRESHOLD_GRID = tuple(round(0.30 + 0.025 * i, 3) for i in range(27))  # 0.30 … 0.95


@dataclass(frozen=True)
class EmergencyExample:
    q: str
    emergency: bool
    type: str = "other"


def load_examples(path: Path) -> list[EmergencyExample]:
    from bot.corpus.model import CorpusError, iter_jsonl

    if not path.exists():
        return []
    out = []
    for where, data in iter_jsonl(path):
        if not isinstance(data.get("q"), str) or not data["q"].strip() or not isinstance(data.get("emergency"), bool):
            raise CorpusError(f"{where}: expected {{\"q\": text, \"emergency\": true|false, \"type\": …}}")
        out.append(EmergencyExample(data["q"].strip(), data["emergency"], str(data.get("type") or "other")))
    return out


def char_features(texts: list[str]) -> np.ndarray:
    """Hashed character pairs (and single characters), L2-normalised: 着火 vs 防火 is in the pairs."""
    out = np.zeros((len(texts), HASH_BUCKETS), dtype=np.float32)
    for row, text in enumerate(texts):
        grams = list(text) + [text[i:i + 2] for i in range(len(text) - 1)]
        for g in grams:
            out[row, zlib.crc32(g.encode("utf-8")) % HASH_BUCKETS] += 1.0
        norm = np.linalg.norm(out[row])
        if norm:
            out[row] /= norm
    return out


def _features(vectors: np.ndarray, texts: list[str]) -> np.ndarray:
    return np.hstack([vectors, char_features(texts)])


def fit_logistic(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by full-batch gradient descent (balanced classes).

    float32 throughout: a float64 weight vector would make numpy copy the whole matrix up to
    float64 on every step (that made a build take minutes)."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    xt = np.ascontiguousarray(x.T)
    w = np.zeros(x.shape[1], dtype=np.float32)
    b = 0.0
    pos = max(1, int(y.sum()))
    neg = max(1, len(y) - pos)
    weight = np.where(y > 0, len(y) / (2 * pos), len(y) / (2 * neg)).astype(np.float32)
    target = y.astype(np.float32)
    for _ in range(EPOCHS):
        p = 1 / (1 + np.exp(-(x @ w + np.float32(b))))
        g = (p - target) * weight
        w -= np.float32(LEARNING_RATE) * (xt @ g / np.float32(len(y)) + np.float32(L2) * w)
        b -= LEARNING_RATE * float(g.mean())
    return w, float(b)


def held_out_threshold(x: np.ndarray, y: np.ndarray) -> float:
    """The lowest grid threshold whose out-of-fold false-alarm rate stays within MAX_FALSE_ALARMS."""
    folds = np.arange(len(y)) % FOLDS
    scores = np.zeros(len(y))
    for k in range(FOLDS):
        train, test = folds != k, folds == k
        if len(set(y[train])) < 2:
            return 0.5  # too few examples to hold any out
        w, b = fit_logistic(x[train], y[train])
        scores[test] = 1 / (1 + np.exp(-(x[test] @ w + b)))
    calm = scores[y == 0]
    for threshold in THRESHOLD_GRID:
        if calm.size == 0 or np.mean(calm >= threshold) <= MAX_FALSE_ALARMS:
            return threshold
    return THRESHOLD_GRID[-1]


@dataclass
class EmergencyModel:
    weights: np.ndarray
    bias: float
    urgent_vectors: np.ndarray  # embeddings of the urgent examples, for the kind of danger
    urgent_types: list[str]
    threshold: float = 0.5

    @classmethod
    def fit(cls, examples: list[EmergencyExample], vectors: np.ndarray) -> EmergencyModel:
        x = _features(vectors, [e.q for e in examples])
        y = np.array([e.emergency for e in examples], dtype=np.float64)
        w, b = fit_logistic(x, y)
        urgent = [i for i, e in enumerate(examples) if e.emergency]
        return cls(w, b, vectors[urgent], [examples[i].type for i in urgent], held_out_threshold(x, y))

    def probability(self, qvec: np.ndarray, text: str) -> float:
        z = float(_features(qvec.reshape(1, -1), [text])[0] @ self.weights + self.bias)
        return 1 / (1 + np.exp(-z))

    def detect(self, qvec: np.ndarray, text: str) -> str | None:
        """The kind of danger ("forest_fire", "gas", …) when the question is urgent, else None."""
        if self.probability(qvec, text) < self.threshold:
            return None
        sims = self.urgent_vectors @ qvec
        votes: dict[str, float] = {}
        for i in np.argsort(-sims)[:NEIGHBOURS]:
            votes[self.urgent_types[i]] = votes.get(self.urgent_types[i], 0.0) + float(sims[i])
        return max(votes, key=lambda k: votes[k]) if votes else "other"

    def save(self, folder: Path) -> None:
        np.savez(folder / "emergency.npz", weights=self.weights, bias=np.array([self.bias]),
                 urgent_vectors=self.urgent_vectors, threshold=np.array([self.threshold]))
        (folder / "emergency_types.json").write_text(json.dumps(self.urgent_types), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> EmergencyModel | None:
        if not (folder / "emergency.npz").exists():
            return None
        arrays = np.load(folder / "emergency.npz")
        types = json.loads((folder / "emergency_types.json").read_text(encoding="utf-8"))
        return cls(arrays["weights"], float(arrays["bias"][0]), arrays["urgent_vectors"], list(types),
                   float(arrays["threshold"][0]))
