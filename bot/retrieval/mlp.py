"""A small classifier (one hidden ReLU layer, softmax out) fitted with Adam in numpy.

The emergency detector and the kind of danger need more than a linear model over sentence
vectors and character pairs ("防火期上山" and "后山冒烟了" share most of their features), and a
few thousand examples fit in seconds. Deterministic: a fixed seed for the start and the batches.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HIDDEN = 64
EPOCHS = 20
BATCH_SIZE = 256
LEARNING_RATE = 1e-3
WEIGHT_DECAY = 1e-4


@dataclass
class MLP:
    w1: np.ndarray  # features × hidden
    b1: np.ndarray
    w2: np.ndarray  # hidden × classes
    b2: np.ndarray

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        z = np.maximum(np.asarray(x, np.float32) @ self.w1 + self.b1, 0) @ self.w2 + self.b2
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}w1": self.w1, f"{prefix}b1": self.b1, f"{prefix}w2": self.w2, f"{prefix}b2": self.b2}

    @classmethod
    def from_arrays(cls, arrays, prefix: str) -> MLP:
        return cls(*(np.asarray(arrays[f"{prefix}{name}"], np.float32) for name in ("w1", "b1", "w2", "b2")))


def fit_mlp(x: np.ndarray, labels: np.ndarray, classes: int, balanced: bool = True, seed: int = 0) -> MLP:
    """Fit on rows `x` with integer `labels` in range(classes); balanced weighs each class equally."""
    rng = np.random.default_rng(seed)
    x = np.ascontiguousarray(x, dtype=np.float32)
    n, d = x.shape
    params = [
        (rng.standard_normal((d, HIDDEN)) * np.sqrt(2 / d)).astype(np.float32),
        np.zeros(HIDDEN, np.float32),
        (rng.standard_normal((HIDDEN, classes)) * np.sqrt(1 / HIDDEN)).astype(np.float32),
        np.zeros(classes, np.float32),
    ]
    target = np.eye(classes, dtype=np.float32)[labels]
    counts = np.maximum(np.bincount(labels, minlength=classes), 1)
    row_weight = (n / (classes * counts[labels]) if balanced else np.ones(n)).astype(np.float32)[:, None]
    first = [np.zeros_like(p) for p in params]
    second = [np.zeros_like(p) for p in params]
    step = 0
    for _ in range(EPOCHS):
        order = rng.permutation(n)
        for start in range(0, n, BATCH_SIZE):
            rows = order[start:start + BATCH_SIZE]
            xb, w1, b1, w2, b2 = x[rows], *params
            hidden = np.maximum(xb @ w1 + b1, 0)
            z = hidden @ w2 + b2
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            g = (p - target[rows]) * row_weight[rows] / np.float32(len(rows))
            g_hidden = (g @ w2.T) * (hidden > 0)
            grads = [xb.T @ g_hidden + WEIGHT_DECAY * w1, g_hidden.sum(0), hidden.T @ g + WEIGHT_DECAY * w2, g.sum(0)]
            step += 1
            for i, grad in enumerate(grads):
                first[i] = 0.9 * first[i] + 0.1 * grad
                second[i] = 0.999 * second[i] + 0.001 * grad * grad
                params[i] -= (LEARNING_RATE * (first[i] / (1 - 0.9 ** step))
                              / (np.sqrt(second[i] / (1 - 0.999 ** step)) + 1e-8)).astype(np.float32)
    return MLP(*params)
