#!/usr/bin/env python3
"""Fit the list / referral / not-found decision and write corpus/decision.json.

Each training question's features are computed by a searcher that does NOT contain that
question: dev and life-dev questions are not in the index at all; the corpus's own example
questions from life, the referrals' example questions and the off-list questions
(out_of_list.jsonl, which the decision also weighs) are scored in five folds, each fold
against an index built without it and without its near-identical twins (twin_folds; a
list-wording question that is no scored question's twin stays). A logistic model (numpy,
balanced classes) is fitted on the features; its figures are reported on held-out folds. The referral
threshold is chosen on out-of-list questions whose right referral is known.

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
from bot.retrieval.decision import FEATURES, DecisionModel, fit_logistic  # noqa: E402
from bot.retrieval.metrics import load_eval  # noqa: E402
from bot.retrieval.opening import open_searcher  # noqa: E402
from bot.retrieval.variants import variant  # noqa: E402
from bot.settings import Settings  # noqa: E402

FOLDS = 5
TWIN_COSINE = 0.97
THRESHOLDS = np.round(np.arange(0.30, 0.81, 0.05), 2)
REFERRAL_MINS = np.round(np.arange(0.84, 0.951, 0.005), 3)


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


def decide(model: DecisionModel, row: Row) -> str:
    return model.decide(row.features, True)


def figures(model: DecisionModel, rows: list[Row]) -> dict[str, float]:
    ins = [r for r in rows if r.gold]
    outs = [r for r in rows if not r.gold]
    kinds = {id(r): decide(model, r) for r in rows}
    ref_known = [r for r in outs if r.referral is not None]
    return {
        "n_in": len(ins), "n_out": len(outs),
        "in_answered_right": float(np.mean([kinds[id(r)] == "list" and r.top in r.gold for r in ins])) if ins else 0,
        "in_rejected": float(np.mean([kinds[id(r)] != "list" for r in ins])) if ins else 0,
        "out_not_list": float(np.mean([kinds[id(r)] != "list" for r in outs])) if outs else 0,
        "referral_right": float(np.mean([kinds[id(r)] == "referral" and r.closest_referral == r.referral
                                         for r in ref_known])) if ref_known else 0,
        # A referral to the wrong office (or where none fits) sends people the wrong way.
        "referral_wrong": float(np.mean([kinds[id(r)] == "referral" and r.closest_referral != r.referral
                                         for r in ref_known])) if ref_known else 0,
    }


def fit(rows: list[Row], threshold: float, referral_min: float, model_name: str) -> DecisionModel:
    x = np.stack([vector(r.features) for r in rows])
    y = np.array([bool(r.gold) for r in rows], dtype=np.float64)
    mean, std = x.mean(0), x.std(0) + 1e-9
    w, b = fit_logistic((x - mean) / std, y)
    # Fold the standardisation into the weights, so decision.json reads raw features.
    weights = {name: float(w[i] / std[i]) for i, name in enumerate(FEATURES)}
    bias = float(b - sum(w[i] * mean[i] / std[i] for i in range(len(FEATURES))))
    return DecisionModel(weights, bias, threshold, referral_min, model=model_name)


# With --choose-on life the operating point is chosen only on the questions that look like real
# traffic (the corpus's life questions, life-dev, out_of_list.jsonl). Measured and not the default:
# it lowered life-dev's answered-right share (docs/evaluation.md).
LIFE_ORIGINS = frozenset({"life", "life-dev", "out"})


def utility(f: dict[str, float]) -> float:
    """What a user gets: a right first answer on list matters, an honest no on the rest."""
    return f["in_answered_right"] + f["out_not_list"] + 0.5 * (f["referral_right"] - f["referral_wrong"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path, nargs="+", help="labelled question sets (dev.jsonl, life-dev.jsonl)")
    parser.add_argument("-o", "--output", type=Path, help="where to write (default: CORPUS_DIR/decision.json)")
    parser.add_argument("--choose-on", choices=("all", "life"), default="all",
                        help="which held-out questions choose the operating point: all (default) or only those asked from life")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    settings = Settings.from_env()
    searcher = open_searcher(settings, build_if_needed=True)
    outside = settings.corpus_dir / "out_of_list.jsonl"
    questions = [(q.q, path.stem, q.gold, None) for path in args.questions for q in load_eval(path)]
    off_list = [o.q for o in load_outside(outside)]
    corpus_rows, text_folds = held_out_rows(searcher, off_list)
    rows = score_rows(searcher, questions) + corpus_rows

    # Held-out folds over all rows: fit on four fifths, measure on the fifth, for each setting.
    # A corpus question keeps the fold it (and its twins) were held out in.
    fold_of = np.array([fold_of_text(text_folds, r.q) for r in rows])
    life_only = args.choose_on == "life"
    results, results_all = {}, {}
    for threshold in THRESHOLDS:
        for referral_min in REFERRAL_MINS:
            held: dict[str, list[float]] = {}
            held_all: dict[str, list[float]] = {}
            for k in range(FOLDS):
                train = [r for r, f in zip(rows, fold_of) if f != k]
                test = [r for r, f in zip(rows, fold_of) if f == k]
                model = fit(train, float(threshold), float(referral_min), searcher.index.meta.model)
                on_all = figures(model, test)
                chosen = figures(model, [r for r in test if r.origin in LIFE_ORIGINS]) if life_only else on_all
                for key in on_all:
                    held.setdefault(key, []).append(chosen[key])
                    held_all.setdefault(key, []).append(on_all[key])
            setting = (float(threshold), float(referral_min))
            results[setting] = {k: float(np.mean(v)) for k, v in held.items()}
            results_all[setting] = {k: float(np.mean(v)) for k, v in held_all.items()}
    (threshold, referral_min), best = max(results.items(), key=lambda kv: utility(kv[1]))
    model = fit(rows, threshold, referral_min, searcher.index.meta.model)
    model.provenance = (f"scripts/fit_decision.py on {', '.join(p.name for p in args.questions)}, the corpus's "
                        f"life and referral questions ({FOLDS}-fold held out) and out_of_list.jsonl: "
                        f"{len(rows)} questions; threshold {threshold} and referral_min {referral_min} chosen on "
                        f"held-out questions ({args.choose_on}) "
                        f"from the grids {THRESHOLDS[0]}..{THRESHOLDS[-1]} and "
                        f"{REFERRAL_MINS[0]}..{REFERRAL_MINS[-1]}")
    output = args.output or settings.corpus_dir / "decision.json"
    model.save(output)
    print(f"wrote {output}\n\nheld-out figures of the chosen setting (mean over {FOLDS} folds), on the questions "
          f"it was chosen on ({args.choose_on}):")
    for key, value in best.items():
        print(f"  {key}: {value:.3f}")
    if life_only:
        print("on all held-out questions:")
        for key, value in results_all[(threshold, referral_min)].items():
            print(f"  {key}: {value:.3f}")
    print("\nper origin, model fitted on all rows (in-sample):")
    for origin in sorted({r.origin for r in rows}):
        sub = [r for r in rows if r.origin == origin]
        print(f"  {origin}: " + ", ".join(f"{k} {v:.3f}" for k, v in figures(model, sub).items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
