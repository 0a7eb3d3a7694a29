"""scripts/fit_decision.py: near-identical questions share a fold (so none is scored while its
reworded twin stays indexed), chains link twins of twins; the setting search decides as the
served model does, and its fitted models land in decision.json."""
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

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


def _rows(n=400, seed=0):
    """Rows like the fit's: in-list rows have a close item, off-list ones a close referral, some
    of them the right one (referral_lexical is the evidence of that)."""
    rng = np.random.default_rng(seed)
    names = fit_decision.FEATURES
    rows = []
    for i in range(n):
        f = {name: float(rng.normal(0, 0.05)) for name in names}
        inside = i % 2 == 0
        right_referral = not inside and i % 4 == 1
        f["dense"] = float(rng.normal(0.9 if inside else 0.84, 0.03))
        f["referral"] = float(rng.normal(0.86 if inside else 0.9, 0.03))
        f["referral_gap"] = f["referral"] - f["dense"]
        f["referral_lexical"] = float(rng.normal(0.8 if right_referral else 0.2, 0.1))
        rows.append(fit_decision.Row(f"q{i}", "life", ["basic-001"] if inside else [],
                                     None if inside else ("ref-a" if right_referral else "ref-b"), f,
                                     top="basic-001", closest_referral="ref-a"))
    return rows


class _Given(fit_decision.DecisionModel):
    """A served model whose two probabilities are given, to put values exactly at the thresholds."""
    def __init__(self, setting, p_list, p_referral):
        super().__init__({}, 0.0, setting.threshold, setting.referral_min, referral_slack=fit_decision.SLACK,
                         referral_threshold=setting.referral_threshold, fallback_threshold=setting.fallback_threshold)
        self.p_list, self.p_referral = p_list, p_referral

    def probability(self, f):
        return self.p_list

    def referral_probability(self, f):
        return self.p_referral


def test_the_setting_search_decides_as_the_served_model_does_at_every_edge():
    setting = fit_decision.Setting(0.65, 0.89, 0.4, 0.6)
    edges = {"p_list": [0.0, 0.6, 0.62, 0.65, 0.9, float("nan")], "p_referral": [0.0, 0.4, 0.9, float("nan")],
             "referral": [0.5, 0.89, 0.95, float("nan")], "gap": [-0.5, -fit_decision.SLACK, 0.0, float("nan")]}
    cases = [(a, b, c, d) for a in edges["p_list"] for b in edges["p_referral"] for c in edges["referral"]
             for d in edges["gap"]]
    p_list, p_referral, referral, gap = (np.array(column) for column in zip(*cases))
    n = len(cases)
    lab = fit_decision.Labels(is_in=np.zeros(n, bool), top_right=np.zeros(n, bool), referral_known=np.zeros(n, bool),
                              referral_right=np.zeros(n, bool), referral=referral, referral_gap=gap)
    got = fit_decision.decide_all(setting, p_list, p_referral, lab)
    for i, (a, b, c, d) in enumerate(cases):
        assert got[i] == _Given(setting, a, b).decide({"referral": c, "referral_gap": d}, True), cases[i]
    # Values exactly at a threshold pass it, in both.
    at = cases.index((0.65, 0.0, 0.5, -0.5))
    assert got[at] == "list"
    at = cases.index((0.62, 0.4, 0.89, -fit_decision.SLACK))
    assert got[at] == "referral"
    at = cases.index((0.6, 0.0, 0.89, 0.0))
    assert got[at] == "list"  # the referral is probably wrong: the fallback


def test_the_setting_search_decides_as_the_served_model_does():
    rows = _rows()
    lab = fit_decision.labels(rows)
    model = fit_decision.fit(rows, fit_decision.Setting(0.6, 0.88, 0.4, 0.45), "fake")
    x = np.stack([fit_decision.vector(r.features) for r in rows])
    p_list = np.array([model.probability(r.features) for r in rows])
    p_referral = np.array([model.referral_probability(r.features) for r in rows])
    names = list(fit_decision.FEATURES)
    w = np.array([model.weights[n] for n in names])
    assert np.allclose(fit_decision.probabilities(w, model.bias, x), p_list)
    for setting in fit_decision.setting_grid()[::97]:
        served = fit_decision.DecisionModel(model.weights, model.bias, setting.threshold, setting.referral_min,
                                            referral_weights=model.referral_weights, referral_bias=model.referral_bias,
                                            referral_threshold=setting.referral_threshold,
                                            fallback_threshold=setting.fallback_threshold)
        expected = [served.decide(r.features, True) for r in rows]
        assert list(fit_decision.decide_all(setting, p_list, p_referral, lab)) == expected


def _held_out():
    """The fixed rows' labels and their held-out probabilities, five folds by position."""
    rows = _rows()
    lab = fit_decision.labels(rows)
    x = np.stack([fit_decision.vector(r.features) for r in rows])
    fold = np.arange(len(rows)) % fit_decision.FOLDS
    return rows, lab, *fit_decision.held_out_probabilities(x, lab, fold)


def test_the_second_model_learns_which_referrals_are_right_and_the_search_uses_it():
    rows, lab, p_list, p_referral = _held_out()
    # Held out, both models separate their classes.
    assert p_list[lab.is_in].mean() > 0.7 > 0.3 > p_list[~lab.is_in].mean()
    assert p_referral[lab.referral_right].mean() > 0.7 > 0.3 > p_referral[~lab.referral_right].mean()
    everything = np.ones(len(rows), dtype=bool)
    best = fit_decision.choose(fit_decision.setting_grid(), p_list, p_referral, lab, everything)
    assert best.referral_threshold > 0  # offering only the probably-right referrals pays here
    # The grid has the fallback, the cautious value first.
    assert {s.fallback_threshold for s in fit_decision.setting_grid()} > {fit_decision.NEVER}
    assert fit_decision.setting_grid()[0].fallback_threshold == fit_decision.NEVER
    kind = fit_decision.decide_all(best, p_list, p_referral, lab)
    figures = fit_decision.figures(kind, lab, everything)
    assert figures["referral_wrong"] < 0.1 < figures["referral_right"]


def test_a_dearer_wrong_referral_never_chooses_more_wrong_referrals():
    rows, lab, p_list, p_referral = _held_out()
    everything = np.ones(len(rows), dtype=bool)
    wrong = {}
    for weight in (fit_decision.WRONG_REFERRAL_WEIGHT, 1.0, 5.0):
        best = fit_decision.choose(fit_decision.setting_grid(), p_list, p_referral, lab, everything, weight)
        wrong[weight] = fit_decision.figures(fit_decision.decide_all(best, p_list, p_referral, lab), lab,
                                             everything)["referral_wrong"]
    assert wrong[5.0] <= wrong[1.0] <= wrong[fit_decision.WRONG_REFERRAL_WEIGHT]
    f = {"in_answered_right": 0.8, "out_not_list": 0.9, "referral_right": 0.6, "referral_wrong": 0.2}
    assert fit_decision.utility(f) == pytest.approx(1.7 + 0.3 - 0.1)
    assert fit_decision.utility(f, 1.0) == pytest.approx(1.7 + 0.3 - 0.2)


def test_held_out_probabilities_do_not_see_their_own_fold():
    rows = _rows()
    lab = fit_decision.labels(rows)
    x = np.stack([fit_decision.vector(r.features) for r in rows])
    fold = np.arange(len(rows)) % fit_decision.FOLDS
    before = fit_decision.held_out_probabilities(x, lab, fold)
    flipped = fit_decision.Labels(**{**vars(lab), "is_in": np.where(fold == 2, ~lab.is_in, lab.is_in),
                                     "referral_right": np.where(fold == 2, ~lab.referral_right, lab.referral_right)})
    after = fit_decision.held_out_probabilities(x, flipped, fold)
    for b, a in zip(before, after):
        assert np.allclose(b[fold == 2], a[fold == 2]) and not np.allclose(b[fold != 2], a[fold != 2])
    # Restricted to some folds, the others are left out of the fits too.
    inner_list, _ = fit_decision.held_out_probabilities(x, lab, fold, [0, 1, 3, 4])
    assert np.isnan(inner_list[fold == 2]).all() and not np.isnan(inner_list[fold != 2]).any()


def test_the_referral_model_learns_only_from_rows_whose_referral_is_known():
    """Off-list questions of dev and life-dev have no referral label; flipping what they would say
    must not change the fitted referral model, which must tell right referrals from wrong ones."""
    rows = _rows()
    unknown = [fit_decision.Row(f"u{i}", "life-dev", [], None, dict(r.features), top="basic-001",
                                closest_referral="ref-a") for i, r in enumerate(rows[1::4])]
    setting = fit_decision.Setting(0.6, 0.88, 0.4, fit_decision.NEVER)
    model = fit_decision.fit(rows + unknown, setting, "fake")
    other = [fit_decision.Row(r.q, r.origin, r.gold, r.referral, r.features, top=r.top, closest_referral="ref-z")
             for r in unknown]
    assert fit_decision.fit(rows + other, setting, "fake").referral_weights == model.referral_weights
    lab = fit_decision.labels(rows)
    p = np.array([model.referral_probability(r.features) for r in rows])
    assert p[lab.referral_right].mean() > 0.7 > 0.3 > p[~lab.referral_right].mean()


def test_the_nested_estimate_chooses_each_folds_setting_without_it():
    rows = _rows(seed=1)
    lab = fit_decision.labels(rows)
    x = np.stack([fit_decision.vector(r.features) for r in rows])
    fold = np.arange(len(rows)) % fit_decision.FOLDS
    everything = np.ones(len(rows), dtype=bool)
    grid = fit_decision.setting_grid()[::7]
    kinds = fit_decision.nested_kinds(x, lab, fold, grid, everything)
    assert set(kinds) <= {"list", "referral", "none"} and None not in list(kinds)
    figures = fit_decision.figures(kinds, lab, everything)
    assert figures["in_answered_right"] > 0.8 and figures["out_not_list"] > 0.8
    # Fold 2's rows do not take part in choosing fold 2's setting: changing their labels leaves
    # their decisions as they were.
    flipped = fit_decision.Labels(**{**vars(lab), "is_in": np.where(fold == 2, ~lab.is_in, lab.is_in),
                                     "top_right": np.where(fold == 2, False, lab.top_right),
                                     "referral_right": np.where(fold == 2, ~lab.referral_right, lab.referral_right)})
    assert list(fit_decision.nested_kinds(x, flipped, fold, grid, everything)[fold == 2]) == list(kinds[fold == 2])
