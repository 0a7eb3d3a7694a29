"""Danger stories that end with questions of their own ("……人往下游漂了，这个是报派出所还是报医院？").

A voice message tells the danger and then asks, in clauses no tail pattern lists, whom to report
to or whether the town can send someone; thousands of calm everyday questions end the same way,
so the ending pulls the story below the alarm. Tried in the twenty-second session, not adopted:

- A: the engine as built (the second reading takes off a listed asking tail, emergency.ASKING_TAIL);
- B: the second reading also takes off the trailing clauses that ask (谁, 哪, 咋, 怎么, 还是, 能不能,
  …吗), read at the same threshold;
- C: as B, and the everyday calm examples are also taught without their trailing asking clauses
  (not where a clause taken off asks whom to call or tell), the model refitted as a build fits it;
- D: C's model held to A's thresholds instead of those its own held-out caps choose.

Counted through the whole engine: the 320 danger stories (docs/experiments/sets/danger-stories.jsonl,
160 urgent, 160 calm), the long messages, the several-matter set, life-dev, dev, emergency-dev and
the everyday example questions longer than 12 characters that the fit did not see (nor, for C,
their bare forms). Run from the project folder after scripts/build_index.py (about 10 minutes):
    .venv/bin/python docs/experiments/emergency_asking_clauses.py
With --scores, instead: each question that B flags and A does not, with the urgency of the reading
that raised the alarm (about 5 minutes).
"""
import json
import re
import sys
import zlib
from pathlib import Path

from emergency_data import fit, load

sys.path.insert(0, '.')
from bot.corpus.referrals import load_referrals  # noqa: E402
from bot.retrieval import emergency as E  # noqa: E402
from bot.retrieval.opening import open_searcher  # noqa: E402
from bot.settings import Settings  # noqa: E402

plain_bare = E.bare_statement

CLAUSE_BREAK = re.compile(r"[\s，,。？?！!；;、]+")
ASKING_CLAUSE = re.compile(r"谁|哪|咋|怎么|怎样|如何|还是|管不管|能不能|能否|是不是|该不该|[吗么嘛]$")
CALLING_CLAUSE = re.compile(r"电话|报|告诉|跟谁说|和谁说|救|派人|来人|\d{3}")


def without_asking_clauses(question, calm_example=False):
    clauses = [c for c in CLAUSE_BREAK.split(question) if c]
    keep = len(clauses)
    while keep > 1 and ASKING_CLAUSE.search(clauses[keep - 1]):
        keep -= 1
    if keep == len(clauses) or (calm_example and any(CALLING_CLAUSE.search(c) for c in clauses[keep:])):
        return None
    end = 0
    for clause in clauses[:keep]:
        end = question.index(clause, end) + len(clause)
    bare = question[:end].strip()
    return bare if len(bare) >= 4 else None


def clause_second_reading(q, tail=E.ASKING_TAIL):
    """B's bare_statement: the listed tail off, else (for the second reading only) the asking clauses."""
    return plain_bare(q, tail) or (without_asking_clauses(q) if tail is E.ASKING_TAIL else None)


def rows(path):
    return [json.loads(line) for line in Path(path).read_text(encoding='utf-8').splitlines() if line.strip()]


searcher = open_searcher(Settings.from_env())
built = searcher.index.emergency
vec, written, ordinary, _, _ = load()
questions = [json.loads(line)['q'] for line in open('corpus/questions.jsonl')]
referrals = load_referrals(Path('corpus/referrals.jsonl'))
SETS = {name: rows(path) for name, path in [
    ('danger stories', 'docs/experiments/sets/danger-stories.jsonl'),
    ('long messages', 'docs/experiments/sets/long-messages.jsonl'),
    ('several matters', 'docs/experiments/sets/multi-matter.jsonl'),
    ('life-dev', '../shared/eval/life-dev.jsonl'), ('dev', '../shared/eval/dev.jsonl'),
    ('emergency-dev', '../shared/eval/emergency-dev.jsonl')]}


def unseen_everyday(pool):
    seen = {e.q for e in pool} | {e.q for e in written}
    return [q for q in dict.fromkeys(questions) if q not in seen and len(q) > E.SHORT_CHARS]


def report(label, pool):
    cells = []
    for data in [*SETS.values(), [{"q": q} for q in unseen_everyday(pool)]]:
        flags = [(bool(r.get('emergency')), searcher.search(r['q']).emergency is not None) for r in data]
        urgent = [f for u, f in flags if u]
        calm = [f for u, f in flags if not u]
        cells.append(f"{sum(urgent)} of {len(urgent)} / {sum(calm)} of {len(calm)}" if urgent
                     else f"{sum(calm)} of {len(calm)}")
    print(f"| {label} | {searcher.index.emergency.thresholds} | "
          + " | ".join(cells) + " |", flush=True)


if '--scores' in sys.argv:
    readings = []
    detect = E.EmergencyModel._detect

    def logged(self, qvec, text, embed):
        kind, urgency = detect(self, qvec, text, embed)
        readings.append(urgency if kind is not None else 0.0)
        return kind, urgency

    E.EmergencyModel._detect = logged
    everyday = [{'q': q} for q in unseen_everyday(ordinary)]
    for name, data in [*SETS.items(), ('unseen everyday', everyday)]:
        for r in data:
            E.bare_statement = plain_bare
            if searcher.search(r['q']).emergency is not None:
                continue
            E.bare_statement = clause_second_reading
            readings.clear()
            if searcher.search(r['q']).emergency is not None:
                print(f"{max(readings):.3f}", 'urgent' if r.get('emergency') else 'calm', name, r['q'][:60], sep='\t')
    sys.exit()

print("| variant | thresholds (longer, short) | " + " | ".join(SETS) + " | unseen everyday |")
print("|---" * (len(SETS) + 3) + "|")
report("A: as built", ordinary)
E.bare_statement = clause_second_reading
report("B: second reading also without trailing asking clauses", ordinary)
# C: the everyday calm examples also without their trailing asking clauses, then the build's sample.
labelled = {e.q for e in written}
texts = [t for t in questions + [q for r in referrals if not set(r.numbers) & E.URGENT_NUMBERS for q in r.questions]
         if t not in labelled]
texts += [b for t in texts for b in (plain_bare(t, E.RESPONSIBILITY_TAIL), without_asking_clauses(t, True))
          if b and b not in labelled]
unique = sorted(dict.fromkeys(texts), key=lambda t: (zlib.crc32(t.encode('utf-8')), t))[:E.MAX_EVERYDAY_EXAMPLES]
taught = [E.EmergencyExample(q, False, ordinary=True) for q in unique]
vec.embed_all([e.q for e in taught])
searcher.index.emergency = fit(written + taught, vec)
report("C: as B, everyday examples also taught without them", taught)
searcher.index.emergency.thresholds = built.thresholds
report("D: C's model at A's thresholds", taught)
