"""A second opinion for messages the detector finds somewhat urgent: the share of urgent examples among the
ten written examples nearest to the message (by query embedding). A message below the threshold would raise
the alarm when its urgency is at least LOW and at least KNN of its neighbours are urgent.

Measured held out on five folds of the written examples (neighbours from the training folds only), on
emergency-dev, life-dev, dev and 3,000 everyday questions no fit sees: how many more are flagged, per (LOW, KNN).
Run from the project folder after scripts/build_index.py:
    .venv/bin/python docs/experiments/emergency_neighbours.py
"""
import json

import numpy as np
from emergency_data import FOLDS, fit, load, text_folds

from bot.retrieval import emergency as E

NEIGHBOURS = 10
GRID = [(low, share) for low in (0.2, 0.3, 0.4, 0.5) for share in (0.7, 0.8, 0.9, 1.0)]
vec, written, ordinary, ed, ld = load(limit=None)
unseen, pool = ordinary[-3000:], ordinary[:E.MAX_EVERYDAY_EXAMPLES]
dev = [json.loads(line) for line in open("../shared/eval/dev.jsonl")]
pool_texts = {e.q for e in pool}
unseen_q = [e.q for e in unseen if e.q not in pool_texts]
vec.embed_all([r["q"] for r in ed + ld + dev] + unseen_q)


def neighbours_urgent(examples, q):
    x = np.stack([vec[e.q] for e in examples])
    urgent = np.array([e.emergency for e in examples])
    return float(urgent[np.argsort(-(x @ vec[q]))[:NEIGHBOURS]].mean())


rows = {}  # group -> [(urgency, flagged now, share of urgent neighbours)]


def read(group, model, examples, texts):
    for q in texts:
        rows.setdefault(group, []).append((model.probability(vec[q], q), model.detect(vec[q], q, vec.embed) is not None,
                                           neighbours_urgent(examples, q)))


fold = text_folds(written)
for k in range(FOLDS):
    train = [e for e in written if fold[e.q] != k]
    model = fit(train + pool, vec)
    held = [e for e in written if fold[e.q] == k]
    read("held-out urgent", model, train, [e.q for e in held if e.emergency])
    read("held-out calm", model, train, [e.q for e in held if not e.emergency])
full = fit(written + pool, vec)
read("emergency-dev urgent", full, written, [r["q"] for r in ed if r["emergency"]])
read("emergency-dev calm", full, written, [r["q"] for r in ed if not r["emergency"]])
read("life-dev urgent", full, written, [r["q"] for r in ld if r.get("emergency")])
read("life-dev calm", full, written, [r["q"] for r in ld if not r.get("emergency")])
read("dev (none urgent)", full, written, [r["q"] for r in dev])
read("unseen everyday", full, written, unseen_q)
print("| group | n | flagged now | " + " | ".join(f"+ low {lo}, share {s}" for lo, s in GRID) + " |")
print("|---|---|---|" + "---|" * len(GRID))
for group, rs in rows.items():
    more = [sum((not f) and p >= lo and kn >= s for p, f, kn in rs) for lo, s in GRID]
    print(f"| {group} | {len(rs)} | {sum(f for _, f, _ in rs)} | " + " | ".join(map(str, more)) + " |")
