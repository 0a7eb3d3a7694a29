"""Off-list questions (corpus/out_of_list.jsonl) next to a referral's texts, for a person to read.

out_of_list.jsonl holds questions that neither an item nor a referral answers. One that a referral does answer
teaches the decision "no referral fits" where one does. For each off-list question this prints the closest
referral text (name, where, example question), with the cosine, when it is at least MIN_COSINE, as JSON lines:
a reviewer marks which ones the referral's `where` answers, and those move to that referral. Run from the project
folder on a built index:
    .venv/bin/python docs/experiments/outside_vs_referrals.py > pairs.jsonl
"""
import json
import sys

import numpy as np

sys.path.insert(0, ".")
from bot.engine import open_engine  # noqa: E402
from bot.settings import Settings  # noqa: E402

MIN_COSINE = 0.93
index = open_engine(Settings()).searcher.index
rows = [(i, p) for i, p in enumerate(index.passages) if p.kind in ("referral-question", "referral")]
vectors = index.faiss_index.reconstruct_batch(np.asarray([i for i, _ in rows], dtype=np.int64))
referrals = {r.id: r for r in index.referrals}
cosines = index.outside_vectors @ vectors.T
for n, outside in enumerate(index.outside):
    j = int(np.argmax(cosines[n]))
    if cosines[n, j] >= MIN_COSINE:
        referral = referrals[rows[j][1].item_id]
        print(json.dumps({"n": n, "q": outside.q, "note": outside.note, "referral": referral.id, "name": referral.name,
                          "where": referral.where, "closest": rows[j][1].text, "cos": round(float(cosines[n, j]), 3)},
                         ensure_ascii=False))
