"""Written long danger stories as more examples for the emergency detector: do they help?

docs/experiments/sets/danger-stories.jsonl: 320 messages that helpers wrote without seeing the project or its
evaluation sets, 60-160 characters mostly, told as voice messages and stories, half ending with a procedural
question ("这该先报派出所还是找林场"): for each of the 18 kinds of danger, urgent ones and calm ones on the same topic
(over, prevented, paperwork). The written examples of corpus/emergency.jsonl are all at most 65 characters.
Fits as a build fits, with and without them; measures held out on five folds (the stories held out too, so
"base" shows how the detector as built reads them), on emergency-dev, life-dev, dev (no question of it is danger
now) and 3,000 everyday questions no fit sees. Run from the project folder after scripts/build_index.py:
    .venv/bin/python docs/experiments/emergency_long_stories.py
"""
import json
import zlib
from pathlib import Path

import numpy as np
from emergency_data import FOLDS, fit, load, text_folds

from bot.retrieval import emergency as E

vec, written, ordinary, ed, ld = load(limit=None)
unseen, pool = ordinary[-3000:], ordinary[:E.MAX_EVERYDAY_EXAMPLES]
stories = E.load_examples(Path("docs/experiments/sets/danger-stories.jsonl"))
dev = [json.loads(line) for line in open("../shared/eval/dev.jsonl")]
vec.embed_all([r["q"] for r in ed + ld + dev] + [e.q for e in unseen + stories])
pool_texts = {e.q for e in pool}
unseen_q = [e.q for e in unseen if e.q not in pool_texts]


def flagged(model, q):
    return model.detect(vec.embed(q), q, vec.embed) is not None


print("| examples | held-out written urgent / calm flagged | held-out stories urgent / calm flagged "
      "| emergency-dev flagged / false alarms | life-dev flagged / false alarms | dev false alarms "
      "| unseen everyday false alarms |")
print("|---|---|---|---|---|---|---|")
story_texts = {e.q for e in stories}
for name, examples in (("written (as built)", written), ("written + stories", written + stories)):
    fold = text_folds(examples)
    wu, wc, su, sc = [], [], [], []
    for k in range(FOLDS):
        model = fit([e for e in examples if fold[e.q] != k] + pool, vec)
        for e in written:
            if fold[e.q] == k:
                (wu if e.emergency else wc).append(flagged(model, e.q))
        for e in stories:
            if fold.get(e.q, zlib.crc32(e.q.encode()) % FOLDS) == k:
                (su if e.emergency else sc).append(flagged(model, e.q))
    full = fit(examples + pool, vec)
    er = np.mean([flagged(full, r["q"]) for r in ed if r["emergency"]])
    ef = sum(flagged(full, r["q"]) for r in ed if not r["emergency"])
    lr = sum(flagged(full, r["q"]) for r in ld if r.get("emergency"))
    lf = sum(flagged(full, r["q"]) for r in ld if not r.get("emergency"))
    df = sum(flagged(full, r["q"]) for r in dev)
    uf = np.mean([flagged(full, q) for q in unseen_q])
    print(f"| {name} | {np.mean(wu):.3f} / {np.mean(wc):.3f} | {np.mean(su):.3f} / {np.mean(sc):.3f} "
          f"| {er:.2f} / {ef} | {lr} of 4 / {lf} | {df} | {uf:.4f} |", flush=True)
