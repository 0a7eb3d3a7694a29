"""How sure the decision must be of the best item before a referral or not-found answer offers
list items as "也可能相关" (ALTERNATIVE_MIN_CONFIDENCE in bot/answers/compose.py).

On life-dev, for the answers that are not a list item:
- in-scope questions the decision turned away: is a gold item among the offered buttons (a rescue)?
- out-of-list questions: do the buttons offer an item that is neither gold nor partial (noise)?
Run from the project folder:
    .venv/bin/python docs/experiments/alternatives_floor.py
"""
import json
from pathlib import Path

from bot.answers.compose import ALTERNATIVE_GAP, MAX_ALTERNATIVES
from bot.retrieval.opening import open_searcher
from bot.settings import Settings

searcher = open_searcher(Settings.from_env())
rows = []
for line in Path("../shared/eval/life-dev.jsonl").read_text(encoding="utf-8").splitlines():
    q = json.loads(line)
    result = searcher.search(q["q"], top_k=5)
    if result.kind == "list" or not result.matches:
        continue
    top = result.matches[0].score
    offered = [m.id for m in result.matches if top - m.score <= ALTERNATIVE_GAP][:MAX_ALTERNATIVES]
    rows.append((set(q["gold"]), set(q.get("partial") or []), offered, result.confidence))

ins = [r for r in rows if r[0]]
outs = [r for r in rows if not r[0]]
print(f"non-list answers: {len(ins)} in scope (turned away), {len(outs)} out of the list")
for floor in (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4):
    rescued = sum(bool(gold & set(offered)) for gold, _, offered, c in ins if c >= floor)
    noisy = sum(any(i not in partial for i in offered) for _, partial, offered, c in outs if c >= floor)
    with_buttons = sum(bool(offered) for _, _, offered, c in rows if c >= floor)
    print(f"floor {floor:.2f}: turned-away in-scope rescued {rescued}/{len(ins)}, "
          f"out-of-list with an unrelated button {noisy}/{len(outs)}, answers with buttons {with_buttons}/{len(rows)}")
