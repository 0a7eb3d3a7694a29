"""Danger told in a story that ends with a calm question: read the story without its question?

"屯里几个老太太进山采柳蒿芽，有一个到天黑也没出来…这该先报派出所还是找林场，镇里能不能组织人去找？"
scores calm: its ending is like thousands of calm "……找谁" questions. Variants, all on top of the
engine's detect() (with its tail-less re-read), and all only for a message the detector finds at
least somewhat urgent (GATE), so everyday questions seldom cost another embedding:
  S: also read the statement part: the message without its trailing question clauses;
  W: also read every window of one or two consecutive clauses (the most urgent one counts);
with the detector's own thresholds, or a stricter one for the extra readings (+ MARGIN).
Measured on five folds of the written examples (by a hash of the text), on emergency-dev,
life-dev and 3,000 everyday questions no fit sees. Run from the project folder after
scripts/build_index.py:
    .venv/bin/python docs/experiments/emergency_statement.py
"""

import numpy as np
from emergency_data import fit, load, text_folds

from bot.retrieval import emergency as E
from bot.retrieval.question import _QUESTION_MARK, _content, clauses, normalise

GATE = 0.2
vec, written, ordinary, ed, ld = load(limit=None)
unseen, pool = ordinary[-3000:], ordinary[:E.MAX_EVERYDAY_EXAMPLES]
embed = vec.embed


def statement(text):
    """The message without its trailing question clauses, when something of substance is left."""
    parts = [c for c in clauses(normalise(text)) if _content(c)]
    while parts and _QUESTION_MARK.search(parts[-1]):
        parts.pop()
    rest = " ".join(parts)
    return rest if len(rest) >= 6 and rest != normalise(text) else None


def windows(text):
    parts = [c for c in clauses(normalise(text)) if _content(c)]
    if len(parts) < 2:
        return []
    out = parts + [parts[i] + parts[i + 1] for i in range(len(parts) - 1)]
    return [w for w in dict.fromkeys(out) if len(w) >= 6]


extra_reads = []


def flagged(model, q, variant, margin):
    if model.detect(embed(q), q, embed) is not None:
        return True
    if variant == "A" or model.probability(vec[q], q) < GATE:
        return False
    texts = [statement(q)] if variant == "S" else windows(q)
    texts = [t for t in texts if t]
    if not texts:
        return False
    extra_reads.append(len(texts))
    vec.embed_all(texts)
    return any(model.probability(vec[t], t) >= model.threshold(t) + margin for t in texts)


vec.embed_all([r['q'] for r in ed + ld] + [e.q for e in unseen])
fold = text_folds(written)
models = [fit([e for e in written if fold[e.q] != k] + pool, vec) for k in range(5)]
full = fit(written + pool, vec)
pool_texts = {e.q for e in pool}
unseen_q = [e.q for e in unseen if e.q not in pool_texts]
print("| variant | held-out urgent flagged | held-out calm flagged | emergency-dev flagged / false alarms "
      "| life-dev flagged / false alarms | unseen everyday false alarms | extra embeddings per everyday question |")
print("|---|---|---|---|---|---|---|")
for name, variant, margin in (("A: the engine as built", "A", 0.0),
                              ("S: + the statement without its question", "S", 0.0),
                              ("S, stricter (+0.05)", "S", 0.05),
                              ("W: + every window of one or two clauses", "W", 0.0),
                              ("W, stricter (+0.05)", "W", 0.05)):
    u, c = [], []
    for k, model in enumerate(models):
        held = [e for e in written if fold[e.q] == k]
        u += [flagged(model, e.q, variant, margin) for e in held if e.emergency]
        c += [flagged(model, e.q, variant, margin) for e in held if not e.emergency]
    er = np.mean([flagged(full, r['q'], variant, margin) for r in ed if r['emergency']])
    ef = np.mean([flagged(full, r['q'], variant, margin) for r in ed if not r['emergency']])
    lr = sum(flagged(full, r['q'], variant, margin) for r in ld if r.get('emergency'))
    lf = np.mean([flagged(full, r['q'], variant, margin) for r in ld if not r.get('emergency')])
    extra_reads.clear()
    uf = np.mean([flagged(full, q, variant, margin) for q in unseen_q])
    cost = sum(extra_reads) / len(unseen_q)
    print(f"| {name} | {np.mean(u):.3f} | {np.mean(c):.3f} | {er:.2f} / {ef:.2f} | {lr} of 4 / {lf:.3f} "
          f"| {uf:.4f} | {cost:.3f} |", flush=True)
