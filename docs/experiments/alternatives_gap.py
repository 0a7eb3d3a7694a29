"""How close to the best item an alternative must be to be offered (ALTERNATIVE_GAP in bot/answers/compose.py).

For the dev questions whose first item is wrong: is a gold item among the up-to-three alternatives within the gap?
And how many alternatives does an answer show on average? Run from the project folder:
    .venv/bin/python docs/experiments/alternatives_gap.py
"""
from pathlib import Path

from bot.retrieval.metrics import load_eval
from bot.retrieval.opening import open_searcher
from bot.settings import Settings

searcher = open_searcher(Settings.from_env())
rows = []
for q in load_eval(Path("../shared/eval/dev.jsonl")):
    if q.gold:
        matches = searcher.search(q.q, top_k=5).matches
        rows.append((q.gold, [(m.id, matches[0].score - m.score) for m in matches]))
wrong = [r for r in rows if r[1][0][0] not in r[0]]
for gap in (0.02, 0.04, 0.06, 0.08, 0.1, 1.0):
    rescued = sum(any(i in gold and d <= gap for i, d in ms[1:4]) for gold, ms in wrong)
    shown = sum(sum(1 for _, d in ms[1:4] if d <= gap) for _, ms in rows) / len(rows)
    print(f"gap {gap}: wrong first {len(wrong)}, gold among the alternatives {rescued}, alternatives per answer {shown:.2f}")
