#!/usr/bin/env python3
"""Fit the list / referral / not-found decision and write corpus/decision.json.

Each training question's features are computed by a searcher that does NOT contain that
question: dev and life-dev questions are not in the index at all; the corpus's own example
questions from life, the referrals' example questions and the off-list questions
(out_of_list.jsonl, which the decision also weighs) are scored in five folds, each fold
against an index built without it and without its near-identical twins (twin_folds; a
list-wording question that is no scored question's twin stays). Two logistic models (numpy,
balanced classes) are fitted on the features: P(a list item answers) and P(the closest referral
is the right one), once per fold; the setting (the thresholds of both, the referral's cosine
floor and the fallback threshold) is the one with the best held-out utility, and its figures are
also reported with each fold's setting chosen on the other folds.

    python scripts/fit_decision.py ../shared/eval/dev.jsonl ../shared/eval/life-dev.jsonl
"""
from __future__ import annotations

import argparse
import logging
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse  # a dependency of bm25s
from scipy.sparse.csgraph import connected_components

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.corpus.outside import load_outside  # noqa: E402
from bot.retrieval.decision import FEATURES, NEVER, DecisionModel, fit_logistic  # noqa: E402
from bot.retrieval.metrics import load_eval  # noqa: E402
from bot.retrieval.opening import open_searcher  # noqa: E402
from bot.retrieval.variants import variant  # noqa: E402
from bot.settings import Settings  # noqa: E402

FOLDS = 5
TWIN_COSINE = 0.97
THRESHOLDS = np.round(np.arange(0.30, 0.81, 0.05), 2)
REFERRAL_MINS = np.round(np.arange(0.84, 0.951, 0.005), 3)
REFERRAL_THRESHOLDS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6)  # 0.0: every close referral is offered
SLACK = 0.02  # a referral is offered only if its cosine is at most this far below the best item's
# A right referral is worth half a right answer, and a wrong one costs as much (weighing it 1 was
# measured and not adopted: docs/evaluation.md).
WRONG_REFERRAL_WEIGHT = 0.5


@dataclass
class Row:
    q: str
    origin: str  # dev, life-dev, life (corpus), referral (corpus), out (corpus/out_of_list.jsonl)
    gold: list[str]  # item ids; [] = out of the list
    referral: str | None  # the right referral of an out-of-list question; "" = none fits; None = not known
    features: dict[str, float]
    top: str = ""  # best item
    closest_referral: str = ""


def vector(f: dict[str, float]) -> np.ndarray:
    return np.array([f[name] for name in FEATURES], dtype=np.float64)


def score_rows(searcher, questions: list[tuple[str, str, list[str], str | None]]) -> list[Row]:
    rows = []
    for q, origin, gold, ref in questions:
        result = searcher.search(q, top_k=3)
        rows.append(Row(q, origin, gold, ref, result.features, result.matches[0].id if result.matches else "",
                        result.closest_referral.id if result.closest_referral else ""))
    return rows


def twin_folds(component: dict[str, int]) -> dict[str, int]:
    """A fold for each text, the same for near-identical texts (one chain of twin_components):
    a question scored while its reworded twin stays in the index looks closer to its kind than
    a new question ever does."""
    first: dict[int, str] = {}
    for text in sorted(component):  # a chain's fold comes from its first text: stable
        first.setdefault(component[text], text)
    return {text: zlib.crc32(first[c].encode()) % FOLDS for text, c in component.items()}


def twin_components(texts: list[str], vectors: np.ndarray) -> dict[str, int]:
    """The chain of near-identical texts (cosine >= TWIN_COSINE, linked) each text belongs to.
    At 0.97 a fifth of the corpus's questions have a twin and the largest chain holds about 1 %
    of them; at 0.95 chains join most questions."""
    n = len(texts)
    pairs_i, pairs_j = [], []
    for start in range(0, n, 2048):
        i, j = np.nonzero(vectors[start:start + 2048] @ vectors.T >= TWIN_COSINE)
        pairs_i.append(i + start)
        pairs_j.append(j)
    i, j = np.concatenate(pairs_i), np.concatenate(pairs_j)
    graph = sparse.coo_matrix((np.ones(len(i), dtype=np.int8), (i, j)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    return {text: int(c) for text, c in zip(texts, component)}


def fold_of_text(folds: dict[str, int], text: str) -> int:
    """The text's twin fold; a text with none (not in the index: dev, life-dev) by its own hash."""
    return folds.get(text, zlib.crc32(text.encode()) % FOLDS)


def kept_in_fold(passage, k: int, fold: Callable[[str], int], component: dict[str, int],
                 scored_chains: set[int]) -> bool:
    """Whether a passage stays in fold k's index: all but the example questions of fold k that
    are scored questions or their twins (a list-wording question no scored question resembles
    stays, as it does in the index that answers)."""
    return not (passage.kind in ("question", "referral-question") and fold(passage.text) == k
                and component.get(passage.text, -1) in scored_chains)


def held_out_rows(searcher, outside: list[str]) -> tuple[list[Row], dict[str, int]]:
    """Corpus example questions (life), referral questions and off-list questions, each scored
    without itself and without its near-identical twins; also the fold of each text."""
    index = searcher.index
    life = sorted({(p.text, p.item_id) for p in index.passages if p.kind == "question" and p.source == "life"})
    refq = sorted({(p.text, p.item_id) for p in index.passages if p.kind == "referral-question"})
    # Every indexed question text with its vector, so twins are found across kinds too.
    stored = index.faiss_index.reconstruct_n(0, index.faiss_index.ntotal)
    vector_of = {p.text: stored[i] for i, p in enumerate(index.passages)
                 if p.kind in ("question", "referral-question")}
    vector_of.update((o.q, index.outside_vectors[i]) for i, o in enumerate(index.outside))
    texts = sorted(vector_of)
    component = twin_components(texts, np.stack([vector_of[t] for t in texts])) if texts else {}
    fold_of = twin_folds(component)
    # Only the scored questions and their twins leave a fold's index: a list-wording question
    # that is nobody's twin stays, as it does in the index that answers.
    scored = {t for t, _ in life} | {t for t, _ in refq} | set(outside)
    scored_chains = {component[t] for t in scored if t in component}

    def fold(text: str) -> int:  # a text the build did not embed (none today) still gets a fold
        return fold_of_text(fold_of, text)
    rows = []
    for k in range(FOLDS):
        def keep(p, k=k) -> bool:
            return kept_in_fold(p, k, fold, component, scored_chains)
        held = variant(searcher, keep=keep, keep_outside=lambda q, k=k: fold(q) != k)
        rows += score_rows(held, [(t, "life", [] if target.startswith("ref-") else [target],
                                   target if target.startswith("ref-") else None)
                                  for t, target in life if fold_of[t] == k])
        rows += score_rows(held, [(t, "referral", [], ref) for t, ref in refq if fold_of[t] == k])
        # No referral fits an off-list question: any referral it gets counts as a wrong one.
        rows += score_rows(held, [(q, "out", [], "") for q in outside if fold(q) == k])
        print(f"fold {k + 1}/{FOLDS} scored", file=sys.stderr)
    return rows, fold_of


@dataclass
class Labels:
    """What each row should get, as arrays over the rows."""
    is_in: np.ndarray  # a list item answers it
    top_right: np.ndarray  # ... and the best item is one that does
    referral_known: np.ndarray  # off the list, and the right referral (or that none fits) is known
    referral_right: np.ndarray  # off the list, and the closest referral is its right one
    referral: np.ndarray  # the closest referral's cosine
    referral_gap: np.ndarray

    @property
    def referral_trainable(self) -> np.ndarray:
        """The rows the referral model learns from: in the list (a referral would be wrong), or off
        it with the right referral known. Off-list dev and life-dev questions are not labelled
        with a referral: as negatives they would teach that a right referral is wrong."""
        return self.is_in | self.referral_known


def labels(rows: list[Row]) -> Labels:
    return Labels(
        is_in=np.array([bool(r.gold) for r in rows]),
        top_right=np.array([bool(r.gold) and r.top in r.gold for r in rows]),
        referral_known=np.array([not r.gold and r.referral is not None for r in rows]),
        referral_right=np.array([not r.gold and bool(r.referral) and r.closest_referral == r.referral for r in rows]),
        referral=np.array([r.features["referral"] for r in rows]),
        referral_gap=np.array([r.features["referral_gap"] for r in rows]))


@dataclass(frozen=True)
class Setting:
    threshold: float  # P(list) from which a list item answers
    referral_min: float  # the closest referral's cosine from which it may be offered
    referral_threshold: float  # P(referral right) from which it is offered (0: no check)
    fallback_threshold: float  # no referral offered: P(list) from which a list item still answers (NEVER: never)


def setting_grid() -> list[Setting]:
    """Every setting, the more cautious first (no referral check, no fallback, then higher ones):
    of settings the held-out rows cannot tell apart, the first is chosen."""
    return [Setting(float(t), float(r), float(rt), float(fb))
            for t in THRESHOLDS for r in REFERRAL_MINS for rt in REFERRAL_THRESHOLDS
            for fb in [NEVER] + sorted((v for v in THRESHOLDS if v < t), reverse=True)]


def fit_weights(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """A logistic model on standardised features, with the standardisation folded into the
    weights (decision.json reads raw features)."""
    mean, std = x.mean(0), x.std(0) + 1e-9
    w, b = fit_logistic((x - mean) / std, y.astype(np.float64))
    return w / std, float(b - np.sum(w * mean / std))


def probabilities(weights: np.ndarray, bias: float, x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(x @ weights + bias, -60, 60)))


def fit_both(x: np.ndarray, lab: Labels, train: np.ndarray) -> tuple[tuple[np.ndarray, float], tuple[np.ndarray, float]]:
    """Both models, fitted on the `train` rows: P(list), and P(referral right) on those of them
    whose referral label is known."""
    known = train & lab.referral_trainable
    return fit_weights(x[train], lab.is_in[train]), fit_weights(x[known], lab.referral_right[known])


def held_out_probabilities(x: np.ndarray, lab: Labels, fold: np.ndarray,
                           folds: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """P(list) and P(referral right) of each row of `folds` (default: all) from models fitted on
    the other rows of `folds`: each model is fitted once per fold; the settings are then searched
    on these. Rows outside `folds` get NaN."""
    folds = list(range(FOLDS)) if folds is None else folds
    within = np.isin(fold, folds)
    p_list, p_referral = np.full(len(x), np.nan), np.full(len(x), np.nan)
    for k in folds:
        test = fold == k
        list_model, referral_model = fit_both(x, lab, within & ~test)
        p_list[test] = probabilities(*list_model, x[test])
        p_referral[test] = probabilities(*referral_model, x[test])
    return p_list, p_referral


def decide_all(s: Setting, p_list: np.ndarray, p_referral: np.ndarray, lab: Labels) -> np.ndarray:
    """DecisionModel.decide over all rows at once, in the same order (a unit test holds the two together)."""
    offered = (lab.referral >= s.referral_min) & (lab.referral_gap >= -SLACK) & (p_referral >= s.referral_threshold)
    return np.select([p_list >= s.threshold, offered, p_list >= s.fallback_threshold], ["list", "referral", "list"],
                     "none")


def figures(kind: np.ndarray, lab: Labels, mask: np.ndarray) -> dict[str, float]:
    def share(hit: np.ndarray, among: np.ndarray) -> float:
        return float(hit[among].mean()) if among.any() else 0.0
    ins, outs, known = mask & lab.is_in, mask & ~lab.is_in, mask & lab.referral_known
    return {
        "n_in": float(ins.sum()), "n_out": float(outs.sum()),
        "in_answered_right": share((kind == "list") & lab.top_right, ins),
        "in_rejected": share(kind != "list", ins),
        "out_not_list": share(kind != "list", outs),
        "referral_right": share((kind == "referral") & lab.referral_right, known),
        # A referral to the wrong office (or where none fits) sends people the wrong way.
        "referral_wrong": share((kind == "referral") & ~lab.referral_right, known),
    }


def choose(grid: list[Setting], p_list: np.ndarray, p_referral: np.ndarray, lab: Labels,
           mask: np.ndarray, wrong_weight: float = WRONG_REFERRAL_WEIGHT) -> Setting:
    return max(grid, key=lambda s: utility(figures(decide_all(s, p_list, p_referral, lab), lab, mask), wrong_weight))


def nested_kinds(x: np.ndarray, lab: Labels, fold: np.ndarray, grid: list[Setting], chosen_on: np.ndarray,
                 wrong_weight: float = WRONG_REFERRAL_WEIGHT) -> np.ndarray:
    """Each fold decided with the setting chosen without it: on held-out probabilities among the
    other folds only (models fitted without fold k either), then applied with models fitted on
    all but fold k. The chosen setting's own held-out figures are optimistic; these are not."""
    kinds = np.empty(len(x), dtype=object)
    for k in range(FOLDS):
        others = [j for j in range(FOLDS) if j != k]
        inner_list, inner_referral = held_out_probabilities(x, lab, fold, others)
        setting = choose(grid, inner_list, inner_referral, lab, chosen_on & (fold != k), wrong_weight)
        test = fold == k
        list_model, referral_model = fit_both(x, lab, ~test)
        kinds[test] = decide_all(setting, probabilities(*list_model, x), probabilities(*referral_model, x), lab)[test]
    return kinds


def fit(rows: list[Row], setting: Setting, model_name: str) -> DecisionModel:
    x = np.stack([vector(r.features) for r in rows])
    lab = labels(rows)
    (w, b), (rw, rb) = fit_both(x, lab, np.ones(len(rows), dtype=bool))
    return DecisionModel({name: float(w[i]) for i, name in enumerate(FEATURES)}, b, setting.threshold,
                         setting.referral_min, referral_slack=SLACK, model=model_name,
                         referral_weights={name: float(rw[i]) for i, name in enumerate(FEATURES)}, referral_bias=rb,
                         referral_threshold=setting.referral_threshold, fallback_threshold=setting.fallback_threshold)


# With --choose-on life the operating point is chosen only on the questions that look like real
# traffic (the corpus's life questions, life-dev, out_of_list.jsonl). Measured and not the default:
# it lowered life-dev's answered-right share (docs/evaluation.md).
LIFE_ORIGINS = frozenset({"life", "life-dev", "out"})


def utility(f: dict[str, float], wrong_weight: float = WRONG_REFERRAL_WEIGHT) -> float:
    """What a user gets: a right first answer on list matters, an honest no on the rest."""
    return f["in_answered_right"] + f["out_not_list"] + 0.5 * f["referral_right"] - wrong_weight * f["referral_wrong"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path, nargs="+", help="labelled question sets (dev.jsonl, life-dev.jsonl)")
    parser.add_argument("-o", "--output", type=Path, help="where to write (default: CORPUS_DIR/decision.json)")
    parser.add_argument("--choose-on", choices=("all", "life"), default="all",
                        help="which held-out questions choose the operating point: all (default) or only those asked from life")
    parser.add_argument("--wrong-referral-weight", type=float, default=WRONG_REFERRAL_WEIGHT, metavar="W",
                        help=f"what a wrong referral costs in the utility the settings are chosen by "
                             f"(a right one earns 0.5; default {WRONG_REFERRAL_WEIGHT})")
    args = parser.parse_args(argv)
    wrong = args.wrong_referral_weight
    logging.basicConfig(level=logging.WARNING)
    settings = Settings.from_env()
    searcher = open_searcher(settings, build_if_needed=True)
    outside = settings.corpus_dir / "out_of_list.jsonl"
    questions = [(q.q, path.stem, q.gold, None) for path in args.questions for q in load_eval(path)]
    off_list = [o.q for o in load_outside(outside)]
    corpus_rows, text_folds = held_out_rows(searcher, off_list)
    rows = score_rows(searcher, questions) + corpus_rows

    # Held-out folds over all rows: each model is fitted on four fifths and gives the fifth its
    # probabilities; every setting is then measured on those. A corpus question keeps the fold it
    # (and its twins) were held out in.
    fold_of = np.array([fold_of_text(text_folds, r.q) for r in rows])
    x = np.stack([vector(r.features) for r in rows])
    lab = labels(rows)
    p_list, p_referral = held_out_probabilities(x, lab, fold_of)
    everything = np.ones(len(rows), dtype=bool)
    chosen_on = np.array([r.origin in LIFE_ORIGINS for r in rows]) if args.choose_on == "life" else everything
    grid = setting_grid()
    setting = choose(grid, p_list, p_referral, lab, chosen_on, wrong)
    best = figures(decide_all(setting, p_list, p_referral, lab), lab, chosen_on)
    nested = nested_kinds(x, lab, fold_of, grid, chosen_on, wrong)
    model = fit(rows, setting, searcher.index.meta.model)
    model.provenance = (f"scripts/fit_decision.py on {', '.join(p.name for p in args.questions)}, the corpus's "
                        f"life and referral questions ({FOLDS}-fold held out) and out_of_list.jsonl: "
                        f"{len(rows)} questions; threshold {setting.threshold}, referral_min {setting.referral_min}, "
                        f"referral_threshold {setting.referral_threshold} and fallback_threshold "
                        f"{setting.fallback_threshold} chosen on held-out questions ({args.choose_on}) from "
                        f"{len(grid)} settings")
    output = args.output or settings.corpus_dir / "decision.json"
    model.save(output)
    print(f"wrote {output}: {setting}\n\nheld-out figures of the chosen setting, on the questions it was "
          f"chosen on ({args.choose_on}):")
    for key, value in best.items():
        print(f"  {key}: {value:.3f}")
    print(f"  utility: {utility(best, wrong):.3f}")
    print(f"each fold with the setting chosen on the other {FOLDS - 1} (all held-out questions):")
    nested_figures = figures(nested, lab, everything)
    for key, value in nested_figures.items():
        print(f"  {key}: {value:.3f}")
    print(f"  utility: {utility(nested_figures, wrong):.3f}")
    print("\nper origin, model fitted on all rows (in-sample):")
    kind = np.array([model.decide(r.features, True) for r in rows])
    origin = np.array([r.origin for r in rows])
    for name in sorted(set(origin)):
        print(f"  {name}: " + ", ".join(f"{k} {v:.3f}" for k, v in figures(kind, lab, origin == name).items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
