"""Life-dev (and dev) against the decision's threshold: for each threshold, the in-list questions
answered with a gold item first and the out-of-list questions not presented as a list item (the
whole decision with only its threshold changed: the referral check and the fallback stay). A
measurement of the trade-off, not how the threshold is chosen (scripts/fit_decision.py does that
on held-out folds). Run from the project folder after scripts/build_index.py; an optional argument
is another decision.json to measure with the same search:
    .venv/bin/python docs/experiments/decision_threshold_sweep.py [decision.json]
"""
import dataclasses
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, '.')
from bot.retrieval.decision import DecisionModel  # noqa: E402
from bot.retrieval.metrics import load_eval  # noqa: E402
from bot.retrieval.opening import open_searcher  # noqa: E402
from bot.settings import Settings  # noqa: E402

THRESHOLDS = (0.30, 0.40, 0.50, 0.55, 0.60, 0.65, 0.70, 0.75)
searcher = open_searcher(Settings.from_env())
model = DecisionModel.load(Path(sys.argv[1])) if len(sys.argv) > 1 else searcher.index.decision
for name in ('dev', 'life-dev'):
    rows = []
    for q in load_eval(Path(f'../shared/eval/{name}.jsonl')):
        result = searcher.search(q.q, top_k=3)
        top = result.matches[0].id if result.matches else ''
        rows.append((result.features, bool(q.gold), top in q.gold))
    features, inside, right = zip(*rows)
    inside, right = np.array(inside), np.array(right)
    print(f"{name}: threshold | in-list answered right | out-of-list not a list item")
    for t in THRESHOLDS:
        at = dataclasses.replace(model, threshold=t)
        answered = np.array([at.decide(f, True) == "list" for f in features])
        print(f"  {t:.2f} | {np.mean(answered[inside] & right[inside]):.3f} | {np.mean(~answered[~inside]):.3f}")
