"""Which of a new round of written emergency examples to keep?

The round (lines from FIRST_NEW of corpus/emergency.jsonl): short reports in hurried, spoken
wording, half of the urgent ones with an asking tail ("俺们屯后山冒烟了 这归谁管啊"), and stories
that tell danger now and end with a calm jurisdiction question, with calm counterparts of both.
Urgent examples that end like everyday questions make everyday questions look urgent, which
raises the build's threshold; the engine already reads a tailed question again without its tail,
so one variant keeps those urgent short examples in their bare form instead. Each variant is
fitted as a build fits (thresholds held out inside), and measured on five folds of the earlier
written examples (by a hash of the text; the new ones always in the fit), on emergency-dev,
life-dev and 3,000 everyday questions no fit sees. Run from the project folder after
scripts/build_index.py:
    .venv/bin/python docs/experiments/emergency_new_examples.py [FIRST_NEW]
"""
import sys

import numpy as np
from emergency_data import fit, load, text_folds, unseen_questions

from bot.retrieval import emergency as E

# The line the round starts at: 3850 for the first measurement (short messages and stories), 3888
# for the second (the short messages, tailed urgent ones in bare form, after the relabelling).
FIRST_NEW = int(sys.argv[1]) if len(sys.argv) > 1 else 3888
vec, written, ordinary, ed, ld = load(limit=None)
unseen, pool = ordinary[-3000:], ordinary[:E.MAX_EVERYDAY_EXAMPLES]
earlier, new = written[:FIRST_NEW], written[FIRST_NEW:]
embed = vec.embed


def bare_urgent(examples):
    """Urgent examples with an asking tail in their bare form (the engine's second reading)."""
    out, seen = [], {e.q for e in examples}
    for e in examples:
        bare = E.bare_statement(e.q) if e.emergency else None
        if bare is None:
            out.append(e)
        elif bare not in seen:
            seen.add(bare)
            out.append(E.EmergencyExample(bare, True, e.type))
    return out


short = [e for e in new if len(e.q) <= 30 and "，" not in e.q and "。" not in e.q]
stories = [e for e in new if e not in short]
vec.embed_all([r["q"] for r in ed + ld] + [e.q for e in unseen] + [e.q for e in new + bare_urgent(new)])
fold = text_folds(earlier)
unseen_q = unseen_questions(unseen, pool)


def flagged(model, q):
    return model.detect(embed(q), q, embed) is not None


print(f"new round: {len(short)} short ({sum(e.emergency for e in short)} urgent), "
      f"{len(stories)} stories ({sum(e.emergency for e in stories)} urgent)")
measured = []
print("| added to the earlier examples | thresholds (longer, short) | held-out earlier urgent / calm flagged "
      "| emergency-dev flagged / false alarms | life-dev flagged / false alarms | unseen everyday false alarms |")
print("|---|---|---|---|---|---|")
for name, added in (("nothing (as before)", []), ("the whole round", new),
                    ("the round, tailed urgent short ones in bare form", bare_urgent(new)),
                    ("only the stories", stories), ("only the short ones, tailed urgent in bare form", bare_urgent(short))):
    if any(added == other for other in measured):
        continue  # the same examples as a row above (a round without stories)
    measured.append(added)
    u, c = [], []
    for k in range(5):
        model = fit([e for e in earlier if fold[e.q] != k] + added + pool, vec)
        held = [e for e in earlier if fold[e.q] == k]
        u += [flagged(model, e.q) for e in held if e.emergency]
        c += [flagged(model, e.q) for e in held if not e.emergency]
    model = fit(earlier + added + pool, vec)
    er = np.mean([flagged(model, r['q']) for r in ed if r['emergency']])
    ef = np.mean([flagged(model, r['q']) for r in ed if not r['emergency']])
    lr = sum(flagged(model, r['q']) for r in ld if r.get('emergency'))
    lf = np.mean([flagged(model, r['q']) for r in ld if not r.get('emergency')])
    uf = np.mean([flagged(model, q) for q in unseen_q])
    t = model.thresholds
    print(f"| {name} | {t[0]:.3f}, {t[1]:.3f} | {np.mean(u):.3f} / {np.mean(c):.3f} | {er:.2f} / {ef:.2f} "
          f"| {lr} of 4 / {lf:.3f} | {uf:.4f} |", flush=True)
