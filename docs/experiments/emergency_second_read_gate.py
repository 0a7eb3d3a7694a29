"""From which urgency is a question with an asking tail read again without it?

The engine reads "……这归谁管" questions a second time, bare, when the first reading is at least
SECOND_READ_FROM; below it the question counts as calm. A lower gate finds more urgent questions
asked like everyday ones, at the price of more second readings (an embedding each) and possibly
more false alarms. Measured on five folds of the written examples (by a hash of the text; each
held-out example also asked with one of four tails no fit uses), on emergency-dev, life-dev and
3,000 everyday questions no fit sees (those whose bare form the fit saw left out).
Run from the project folder after scripts/build_index.py:
    .venv/bin/python docs/experiments/emergency_second_read_gate.py
"""
import zlib

import numpy as np
from emergency_data import fit, load, text_folds, unseen_questions

from bot.retrieval import emergency as E

TEST_TAILS = ("，这事应该找谁呀", " 谁来管", " 这种情况归哪管", "，有没有人管")
vec, written, ordinary, ed, ld = load(limit=None)
unseen, pool = ordinary[-3000:], ordinary[:E.MAX_EVERYDAY_EXAMPLES]
reads = []


def embed(text):
    reads.append(text)
    return vec.embed(text)


def tailed(e):
    return e.q.rstrip("。！!？? ") + TEST_TAILS[zlib.crc32(e.q.encode()) % len(TEST_TAILS)]


no_tail = [e for e in written if E.bare_statement(e.q) is None]
fold = text_folds(written)
models = [fit([e for e in written if fold[e.q] != k] + pool, vec) for k in range(5)]
full = fit(written + pool, vec)
unseen_q = unseen_questions(unseen, pool)


def flagged(model, q):
    return model.detect(embed(q), q, embed) is not None


print("| gate | held-out urgent flagged: as written / with a tail | held-out calm flagged: as written / with a tail "
      "| emergency-dev flagged / false alarms | life-dev flagged / false alarms | unseen everyday false alarms "
      "| extra readings per unseen everyday question |")
print("|---|---|---|---|---|---|---|")
for gate in (0.2, 0.1, 0.05):
    E.SECOND_READ_FROM = gate
    u, ut, c, ct = [], [], [], []
    for k, model in enumerate(models):
        held = [e for e in written if fold[e.q] == k]
        u += [flagged(model, e.q) for e in held if e.emergency]
        c += [flagged(model, e.q) for e in held if not e.emergency]
        ut += [flagged(model, tailed(e)) for e in held if e.emergency and e in no_tail]
        ct += [flagged(model, tailed(e)) for e in held if not e.emergency and e in no_tail]
    er = np.mean([flagged(full, r['q']) for r in ed if r['emergency']])
    ef = np.mean([flagged(full, r['q']) for r in ed if not r['emergency']])
    lr = sum(flagged(full, r['q']) for r in ld if r.get('emergency'))
    lf = np.mean([flagged(full, r['q']) for r in ld if not r.get('emergency')])
    reads.clear()
    uf = np.mean([flagged(full, q) for q in unseen_q])
    twice = (len(reads) - len(unseen_q)) / len(unseen_q)
    print(f"| {gate} | {np.mean(u):.3f} / {np.mean(ut):.3f} | {np.mean(c):.3f} / {np.mean(ct):.3f} | {er:.2f} / {ef:.2f} "
          f"| {lr} of 4 / {lf:.3f} | {uf:.4f} | {twice:.3f} |", flush=True)
