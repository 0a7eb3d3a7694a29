"""One calibrated decision: does a list item answer the question, a referral, or nothing?

The features describe how well the best item and the best referral matched. A logistic
model gives the probability that a list item answers; below its threshold the closest
referral is offered when it matched well enough and a second logistic model, on the same
features, finds it probably the right one; otherwise a list item still answers when its
probability passes a lower fallback threshold, else "not found". The weights are fitted by
`scripts/fit_decision.py` (cross-validated; docs/evaluation.md) and kept in
corpus/decision.json, which every build copies.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FEATURES = ("dense", "margin", "lexical", "referral", "referral_gap", "agreement", "referral_share",
            "referral_lexical", "outside", "outside_gap", "outside_top3", "outside_share")
NEVER = 1.01  # a probability threshold no model reaches
FORMAT = 2  # decision.json's format: 2 added the referral model and the fallback
LEXICAL_CAP = 10.0  # BM25 evidence beyond this adds nothing (a long question sums many words)
# fit_logistic (used by scripts/fit_decision.py): plain gradient descent on standardised features.
L2 = 1e-3
EPOCHS = 400
LEARNING_RATE = 0.5


def features(item_dense: np.ndarray, lexical_best: float, referral_dense: float, agreement: float = 0.0,
             referral_share: float = 0.0, referral_lexical: float = 0.0,
             outside_dense: np.ndarray | None = None, closest_scores: np.ndarray | None = None) -> dict[str, float]:
    """The decision's inputs: the per-item best cosines, the best BM25, the best referral cosine,
    among the closest passages the share pointing at the best item and at referrals, the
    best referral's BM25 ("银行卡" is strong word evidence for the bank, whatever the cosines say),
    and the cosines to the questions known to be off the list (out_of_list.jsonl): a question
    closer to those than to any item is probably off the list too; with `closest_scores` (the
    closest passages' cosines), also the share of off-list questions among the closest texts."""
    order = np.sort(item_dense)[::-1]
    best = float(order[0]) if len(order) else 0.0
    second = float(order[1]) if len(order) > 1 else 0.0
    ranked_outside = np.sort(outside_dense)[::-1] if outside_dense is not None and len(outside_dense) else np.zeros(1)
    outside = ranked_outside[:3]
    # Among the closest texts of either kind (passages, off-list questions), the share off the list.
    share = 0.0
    if closest_scores is not None and len(closest_scores) and outside_dense is not None and len(outside_dense):
        k = len(closest_scores)
        merged = np.concatenate([np.asarray(closest_scores, np.float32), ranked_outside[:k].astype(np.float32)])
        share = float(np.mean(np.argsort(-merged, kind="stable")[:k] >= k))
    return {
        "dense": best,
        "margin": best - second,
        "lexical": min(lexical_best, LEXICAL_CAP) / LEXICAL_CAP,
        "referral": referral_dense,
        "referral_gap": referral_dense - best,
        "agreement": agreement,
        "referral_share": referral_share,
        "referral_lexical": min(referral_lexical, LEXICAL_CAP) / LEXICAL_CAP,
        "outside": float(outside[0]),
        "outside_gap": float(outside[0]) - best,
        "outside_top3": float(outside.mean()),
        "outside_share": share,
    }


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


def _logistic(weights: dict[str, float], bias: float, f: dict[str, float]) -> float:
    z = bias + sum(w * f.get(name, 0.0) for name, w in weights.items())
    return float(1 / (1 + np.exp(-np.clip(z, -60, 60))))


@dataclass
class DecisionModel:
    # Until fitted: the old single threshold on dense + lexical bonus (0.9175 on dev), as a
    # logistic with a steep slope; decision.json replaces it.
    weights: dict[str, float] = field(default_factory=lambda: {"dense": 200.0, "lexical": 4.0})
    bias: float = -183.5
    threshold: float = 0.5
    # A referral is offered only when it matched at least this well, and not much worse
    # than the best item (else "not found").
    referral_min: float = 0.88
    referral_slack: float = 0.02
    model: str = ""  # the embedding model the weights were fitted for
    provenance: str = "default"
    # P(the closest referral is the right one): a close referral is often the wrong office
    # ("纪委举报电话" came closest to the gambling report). No weights = no such check.
    referral_weights: dict[str, float] = field(default_factory=dict)
    referral_bias: float = 0.0
    referral_threshold: float = 0.0
    # When no referral is offered (none close enough, or probably the wrong one; or the corpus has
    # none), a list item still answers from this probability (NEVER: not at all).
    fallback_threshold: float = NEVER

    def probability(self, f: dict[str, float]) -> float:
        return _logistic(self.weights, self.bias, f)

    def referral_probability(self, f: dict[str, float]) -> float:
        return _logistic(self.referral_weights, self.referral_bias, f) if self.referral_weights else 1.0

    def referral_fits(self, f: dict[str, float]) -> bool:
        return (f["referral"] >= self.referral_min and f["referral_gap"] >= -self.referral_slack
                and self.referral_probability(f) >= self.referral_threshold)

    @property
    def needs_outside(self) -> bool:
        """Whether these weights read the off-list features (out_of_list.jsonl must then have questions)."""
        return any(w and name.startswith("outside")
                   for weights in (self.weights, self.referral_weights) for name, w in weights.items())

    def decide(self, f: dict[str, float], has_referrals: bool) -> str:
        p = self.probability(f)
        if p >= self.threshold:
            return "list"
        if has_referrals and self.referral_fits(f):
            return "referral"
        return "list" if p >= self.fallback_threshold else "none"

    @classmethod
    def load(cls, path: Path) -> DecisionModel:
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        if int(data.get("format", 1)) > FORMAT:
            raise ValueError(f"{path}: format {data['format']} is newer than this program reads ({FORMAT}): update the program")
        unknown = (set(data.get("weights", {})) | set(data.get("referral_weights", {}))) - set(FEATURES)
        if unknown:
            raise ValueError(f"{path}: unknown features {sorted(unknown)}")
        return cls(weights={k: float(v) for k, v in data["weights"].items()}, bias=float(data["bias"]),
                   threshold=float(data.get("threshold", 0.5)), referral_min=float(data["referral_min"]),
                   referral_slack=float(data.get("referral_slack", 0.02)), model=str(data.get("model", "")),
                   provenance=str(data.get("provenance", "")),
                   referral_weights={k: float(v) for k, v in data.get("referral_weights", {}).items()},
                   referral_bias=float(data.get("referral_bias", 0.0)),
                   referral_threshold=float(data.get("referral_threshold", 0.0)),
                   fallback_threshold=float(data.get("fallback_threshold", NEVER)))

    def save(self, path: Path) -> None:
        data = {"format": FORMAT, "model": self.model, "weights": self.weights, "bias": self.bias, "threshold": self.threshold,
                "referral_min": self.referral_min, "referral_slack": self.referral_slack,
                "referral_weights": self.referral_weights, "referral_bias": self.referral_bias,
                "referral_threshold": self.referral_threshold, "fallback_threshold": self.fallback_threshold,
                "provenance": self.provenance}
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
