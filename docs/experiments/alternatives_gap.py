"""How close to the best item an alternative must be to be offered (ALTERNATIVE_GAP in bot/answers/compose.py).

Through the engine, for each gap: on the questions whose answer is not their item (turned away or another item
first), is a gold item among the up-to-three buttons? How many buttons does an answer show, and how many of them
are relevant: on life-dev the labellers' item or one they marked as touching the question (`partial`); dev has
no such marks, so only its gold items count there. Run from the project folder:
    .venv/bin/python docs/experiments/alternatives_gap.py
"""
import json
import sys
from unittest import mock

sys.path.insert(0, ".")
import bot.answers.compose as compose  # noqa: E402
from bot.engine import open_engine  # noqa: E402
from bot.settings import Settings  # noqa: E402

GAPS = (0.02, 0.025, 0.03, 0.035, 0.04, 0.05, 0.06, 0.1)
engine = open_engine(Settings())
sets = {name: [json.loads(line) for line in open(f"../shared/eval/{name}.jsonl")] for name in ("dev", "life-dev")}
# Ask once with the widest gap; a narrower gap keeps the buttons within it (the first three of them).
answers = {}
with mock.patch.object(compose, "ALTERNATIVE_GAP", max(GAPS)):
    for name, rows in sets.items():
        for r in rows:
            a = engine.ask(r["q"])
            top = a.matches[0].score if a.matches else 0.0
            answers[name, r["q"]] = (a.kind, a.matches[0].id if a.matches else None,
                                     [(m.id, top - m.score) for m in a.alternatives])
print("| set | gap | questions not answered with their item whose gold item is a button | buttons per answer "
      "| relevant buttons |")
print("|---|---|---|---|---|")
for name, rows in sets.items():
    for gap in GAPS:
        shown = relevant = rescued = missed = 0
        for r in rows:
            kind, best, alts = answers[name, r["q"]]
            kept = [i for i, d in alts if d <= gap][:compose.MAX_ALTERNATIVES]
            good = set(r["gold"]) | set(r.get("partial", []))
            shown += len(kept)
            relevant += sum(i in good for i in kept)
            if r["gold"] and (kind != "list" or best not in r["gold"]):
                missed += 1
                rescued += any(i in r["gold"] for i in kept)
        print(f"| {name} | {gap} | {rescued} of {missed} | {shown / len(rows):.2f} | {relevant / max(shown, 1):.2f} |")
