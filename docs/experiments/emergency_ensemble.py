"""Several detector MLPs (different seeds, probabilities averaged) instead of one: a smoother urgency?

Fits as a build fits (thresholds held out under the same caps), with N members (argument, default 5) against
one; measures held out on five folds of the written examples, on emergency-dev, life-dev and 3,000 everyday
questions no fit sees, and prints life-dev's four urgent questions' urgency. Run from the project folder after
scripts/build_index.py:
    .venv/bin/python docs/experiments/emergency_ensemble.py 5
"""
import sys
import time

import numpy as np
from emergency_data import FOLDS, fit, load, text_folds

from bot.retrieval import emergency as E
from bot.retrieval import mlp as M

MEMBERS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
vec, written, ordinary, ed, ld = load(limit=None)
unseen, pool = ordinary[-3000:], ordinary[:E.MAX_EVERYDAY_EXAMPLES]
pool_texts = {e.q for e in pool}
unseen_q = [e.q for e in unseen if e.q not in pool_texts]
vec.embed_all([r["q"] for r in ed + ld] + unseen_q)


class Ensemble:
    def __init__(self, members):
        self.members = members

    def probabilities(self, x):
        return np.mean([m.probabilities(x) for m in self.members], axis=0)


def fit_members(x, labels, classes, balanced=True, seed=0, members=1):
    if classes != 2 or members == 1:  # the kind of danger stays one model
        return M.fit_mlp(x, labels, classes, balanced, seed)
    return Ensemble([M.fit_mlp(x, labels, classes, balanced, seed * 100 + s) for s in range(members)])


def flagged(model, q):
    return model.detect(vec.embed(q), q, vec.embed) is not None


fold = text_folds(written)
print("| detector | fit seconds | thresholds | held-out urgent / calm flagged | emergency-dev flagged / false alarms "
      "| life-dev flagged | unseen everyday false alarms | life-dev urgency of the four |")
print("|---|---|---|---|---|---|---|---|")
for members in (1, MEMBERS):
    E.fit_mlp = lambda *a, members=members, **k: fit_members(*a, members=members, **k)
    start = time.time()
    models = [fit([e for e in written if fold[e.q] != k] + pool, vec) for k in range(FOLDS)]
    full = fit(written + pool, vec)
    seconds = time.time() - start
    u, c = [], []
    for k, model in enumerate(models):
        for e in written:
            if fold[e.q] == k:
                (u if e.emergency else c).append(flagged(model, e.q))
    er = np.mean([flagged(full, r["q"]) for r in ed if r["emergency"]])
    ef = np.mean([flagged(full, r["q"]) for r in ed if not r["emergency"]])
    lr = sum(flagged(full, r["q"]) for r in ld if r.get("emergency"))
    uf = np.mean([flagged(full, q) for q in unseen_q])
    four = " / ".join(f"{full.probability(vec.embed(r['q']), r['q']):.2f}" for r in ld if r.get("emergency"))
    print(f"| {members} MLP | {seconds:.0f} | {full.thresholds} | {np.mean(u):.3f} / {np.mean(c):.3f} | {er:.2f} / {ef:.2f} "
          f"| {lr} of 4 | {uf:.4f} | {four} |", flush=True)
