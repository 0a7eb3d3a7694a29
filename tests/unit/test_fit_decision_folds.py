"""scripts/fit_decision.py's folds: near-identical questions share a fold (so none is scored
while its reworded twin stays indexed), and chains link twins of twins."""
import importlib.util
import sys
from pathlib import Path

import numpy as np

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "fit_decision.py"
spec = importlib.util.spec_from_file_location("fit_decision", SCRIPT)
fit_decision = importlib.util.module_from_spec(spec)
sys.modules["fit_decision"] = fit_decision  # its dataclasses look their module up there
spec.loader.exec_module(fit_decision)


def _unit(rows):
    v = np.array(rows, dtype=np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_twins_and_twins_of_twins_share_a_chain_and_a_fold():
    # a-b and b-c are twins (cosine >= 0.97), a-c is not: one chain; d stands alone.
    vectors = _unit([[1, 0, 0], [1, 0.17, 0], [1, 0.36, 0], [0, 0, 1]])
    assert vectors[0] @ vectors[2] < fit_decision.TWIN_COSINE <= vectors[0] @ vectors[1]
    texts = ["a", "b", "c", "d"]
    chains = fit_decision.twin_components(texts, vectors)
    assert chains["a"] == chains["b"] == chains["c"] != chains["d"]
    folds = fit_decision.twin_folds(chains)
    assert folds["a"] == folds["b"] == folds["c"]
    assert set(folds.values()) <= set(range(fit_decision.FOLDS))


def test_a_fold_does_not_depend_on_the_order_texts_come_in():
    vectors = _unit([[1, 0, 0], [1, 0.1, 0], [0, 1, 0], [0, 0, 1]])
    texts = ["一", "二", "三", "四"]
    forward = fit_decision.twin_folds(fit_decision.twin_components(texts, vectors))
    backward = fit_decision.twin_folds(fit_decision.twin_components(texts[::-1], vectors[::-1]))
    assert forward == backward


def test_a_fold_leaves_out_scored_questions_and_their_twins_only():
    from types import SimpleNamespace as P

    component = {"scored": 0, "its twin": 0, "list wording": 1, "other fold": 2}
    fold = {"scored": 3, "its twin": 3, "list wording": 3, "other fold": 1}.__getitem__
    keep = lambda p: fit_decision.kept_in_fold(p, 3, fold, component, scored_chains={0, 2})  # noqa: E731
    assert not keep(P(kind="question", text="scored"))
    assert not keep(P(kind="question", text="its twin"))  # a list-wording twin of a scored question goes too
    assert keep(P(kind="question", text="list wording"))  # nobody's twin: stays, as in the real index
    assert keep(P(kind="question", text="other fold"))
    assert keep(P(kind="title", text="scored"))  # an item's own texts always stay
