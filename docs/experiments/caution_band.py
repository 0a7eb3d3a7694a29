"""Questions that sound somewhat urgent but not enough for the alarm: how many, of which kind.

A "maybe in danger" line ("如果人现在有危险，先打 110 …") under such answers would reach messages
the alarm misses ("天都黑了我家六岁小子还没回来，屯里都找遍了没有" reads 0.52 against 0.80) at the
cost of a conditional line on calm ones. This counts, per urgency floor, the questions the alarm
did not flag that would get it, calm and urgent, on each set. Run from the project folder after
scripts/build_index.py:
    .venv/bin/python docs/experiments/caution_band.py ../shared/eval/dev.jsonl ../shared/eval/life-dev.jsonl \
        ../shared/eval/emergency-dev.jsonl
"""
import argparse
from collections import Counter
from pathlib import Path

from bot.retrieval.emergency import is_hypothetical
from bot.retrieval.metrics import load_eval
from bot.retrieval.opening import open_searcher
from bot.settings import Settings

FLOORS = (0.2, 0.3, 0.4, 0.5, 0.6)

parser = argparse.ArgumentParser()
parser.add_argument("sets", nargs="+", type=Path)
parser.add_argument("--show", type=float, default=0.4, help="list the questions at or above this floor")
args = parser.parse_args()
searcher = open_searcher(Settings.from_env())
model = searcher.index.emergency
assert model is not None

print("| set | questions (urgent) | flagged | " + " | ".join(f"≥ {f}: calm / urgent" for f in FLOORS) + " |")
print("|---|---|---|" + "---|" * len(FLOORS))
shown = []
for path in args.sets:
    questions = load_eval(path)
    rows = []
    for q in questions:
        result = searcher.search(q.q)
        urgent = bool(q.emergency)
        if result.emergency is not None:
            rows.append((urgent, True, result.urgency, result.emergency))
            continue
        kind = "" if is_hypothetical(result.text) else model.kind(
            searcher._embed(searcher._repaired(result.text)), result.text)
        rows.append((urgent, False, result.urgency, kind))
        if result.urgency >= args.show:
            shown.append((path.stem, urgent, round(result.urgency, 2), kind, q.q))
    flagged = sum(f for _, f, _, _ in rows)
    cells = []
    for floor in FLOORS:
        calm = sum(1 for u, f, s, k in rows if not f and not u and k and s >= floor)
        hot = sum(1 for u, f, s, k in rows if not f and u and k and s >= floor)
        cells.append(f"{calm} / {hot}")
    print(f"| {path.stem} | {len(rows)} ({sum(u for u, *_ in rows)}) | {flagged} | " + " | ".join(cells) + " |")

print(f"\nNot flagged, urgency ≥ {args.show}:")
kinds = Counter(k for *_, k, _ in shown)
print(dict(kinds))
for row in sorted(shown, key=lambda r: -r[2]):
    print(row)
