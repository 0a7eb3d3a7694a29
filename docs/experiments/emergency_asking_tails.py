"""Does teaching the emergency model urgent examples with an asking tail ("……这归谁管") help?

The everyday calm examples nearly all end with "归谁管 / 找谁", the written urgent examples seldom
do, so "后山冒烟了 这归谁管" scored as calm. Variant B adds, for each urgent written example without
a tail, a copy with one; variant C does so for every written example, urgent or calm. Measured on five
folds of the written examples (by a hash of the text; a fold's examples and their tailed copies
are left out of the fit), with tails the fit never uses, and on emergency-dev, life-dev and 3,000
everyday questions no fit sees. Run from the project folder after scripts/build_index.py:
    .venv/bin/python docs/experiments/emergency_asking_tails.py
"""
import zlib

import numpy as np
from emergency_data import fit as fit_rows
from emergency_data import load, text_folds, unseen_questions

from bot.retrieval import emergency as E

BAND = 0.2
TEST_TAILS = ("，这事应该找谁呀", " 谁来管", " 这种情况归哪管", "，有没有人管")
vec, written, ordinary, ed, ld = load(limit=None)
unseen, pool = ordinary[-3000:], ordinary[:E.MAX_EVERYDAY_EXAMPLES]
ASKING_TAILS = ("这归谁管", " 找谁", "，该找谁？", " 谁管啊", "，这事归哪个部门管", "，镇里管不管", " 找哪个部门",
                " 咋整啊 找谁")


def with_asking_tails(examples, calm):
    """Each urgent (and with `calm`, each calm) written example that has no asking tail, with one."""
    have = {e.q for e in examples}
    out = []
    for e in examples:
        if (not e.emergency and not calm) or e.ordinary or E.bare_statement(e.q) is not None:
            continue
        text = e.q.rstrip("。！!？? ") + ASKING_TAILS[zlib.crc32(e.q.encode()) % len(ASKING_TAILS)]
        if text not in have:
            have.add(text)
            out.append(E.EmergencyExample(text, e.emergency, e.type))
    return out


def tailed(e):
    return e.q.rstrip("。！!？? ") + TEST_TAILS[zlib.crc32(e.q.encode()) % len(TEST_TAILS)]


no_tail = [e for e in written if E.bare_statement(e.q) is None]
vec.embed_all([r['q'] for r in ed + ld] + [e.q for e in unseen] + [tailed(e) for e in no_tail]
              + [e.q for e in with_asking_tails(written, calm=True)])
fold = text_folds(written)
embed = vec.embed


def fit(examples, augment):
    extra = with_asking_tails(examples, calm=augment == "both") if augment else []
    return fit_rows(examples + extra + pool, vec)


second_reads = []


def flagged(model, q, bare_too=False):
    """D: a question with an asking tail that the detector finds at least somewhat urgent (BAND) is
    also read without its tail; second_reads counts how often that costs another embedding."""
    if model.detect(embed(q), q, embed) is not None:
        return True
    bare = E.bare_statement(q) if bare_too else None
    if not bare or model.probability(vec[q], q) < BAND:
        return False
    second_reads.append(q)
    return model.detect(embed(bare), bare, embed) is not None


print("| variant | held-out urgent flagged: as written / with a tail | held-out calm flagged: as written / "
      "with a tail | emergency-dev flagged / false alarms | life-dev flagged / false alarms "
      "| unseen everyday false alarms | unseen everyday read twice |")
print("|---|---|---|---|---|---|---|")
for name, augment, bare_too in (
        ("A: as built (no tailed copies)", "", False), ("B: urgent examples also with an asking tail", "urgent", False),
        ("C: every written example also with an asking tail", "both", False),
        ("D: as A, and a tailed question scoring at least 0.2 also read without its tail", "", True)):
    u, ut, c, ct = [], [], [], []
    for k in range(5):
        model = fit([e for e in written if fold[e.q] != k], augment)
        held = [e for e in written if fold[e.q] == k]
        u += [flagged(model, e.q, bare_too) for e in held if e.emergency]
        c += [flagged(model, e.q, bare_too) for e in held if not e.emergency]
        ut += [flagged(model, tailed(e), bare_too) for e in held if e.emergency and e in no_tail]
        ct += [flagged(model, tailed(e), bare_too) for e in held if not e.emergency and e in no_tail]
    model = fit(written, augment)
    er = np.mean([flagged(model, r['q'], bare_too) for r in ed if r['emergency']])
    ef = np.mean([flagged(model, r['q'], bare_too) for r in ed if not r['emergency']])
    lr = sum(flagged(model, r['q'], bare_too) for r in ld if r.get('emergency'))
    lf = np.mean([flagged(model, r['q'], bare_too) for r in ld if not r.get('emergency')])
    # An unseen question whose bare form the fit saw would flatter D: those are left out.
    unseen_q = unseen_questions(unseen, pool)
    second_reads.clear()
    uf = np.mean([flagged(model, q, bare_too) for q in unseen_q])
    extra = len(second_reads) / len(unseen_q)
    print(f"| {name} | {np.mean(u):.3f} / {np.mean(ut):.3f} | {np.mean(c):.3f} / {np.mean(ct):.3f} "
          f"| {er:.2f} / {ef:.2f} | {lr} of 4 / {lf:.3f} | {uf:.4f} | {extra:.3f} |", flush=True)
