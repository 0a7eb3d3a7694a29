"""Everyday words that the typo repair never rewrites (bot/retrieval/pinyin.py, PROTECTED_MIN_FREQ):
what if only the commoner words of jieba's dictionary were protected?

"地保咋申请" keeps 地保 (jieba frequency 20, an old word for a village constable) and is answered with
农业保险. Raising the floor lets it become 低保, and may let other correct words be rewritten. This prints,
for each floor, the texts that change against the live build's table: the evaluation sets given, then the
corpus's own questions (example questions, written emergency examples, off-list questions, referrals'
questions), each change as before→after. Run from the project folder after scripts/build_index.py:
    .venv/bin/python docs/experiments/typo_protected.py ../shared/eval/dev.jsonl ../shared/eval/life-dev.jsonl \
        ../shared/eval/emergency-dev.jsonl
"""
import difflib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import jieba  # noqa: E402

from bot.retrieval import pinyin  # noqa: E402
from bot.retrieval.metrics import load_eval  # noqa: E402
from bot.retrieval.opening import open_searcher  # noqa: E402
from bot.settings import Settings  # noqa: E402

FLOORS = (25, 50)

jieba.initialize()
freq = jieba.dt.FREQ
live = open_searcher(Settings.from_env()).index.pinyin
corpus = []
for name in ("questions.jsonl", "emergency.jsonl", "out_of_list.jsonl", "referrals.jsonl"):
    for line in (ROOT / "corpus" / name).read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        corpus += [data["q"]] if "q" in data else []
        corpus += [q for q in data.get("questions", []) if isinstance(q, str)]
sets = {Path(p).name: [q.q for q in load_eval(Path(p))] for p in sys.argv[1:]} | {"corpus questions": corpus}


def changes(before: str, after: str) -> str:
    ops = difflib.SequenceMatcher(None, before, after).get_opcodes()
    return ", ".join(f"{before[i1 - 1:i2 + 1]}→{after[j1 - 1:j2 + 1]}" for op, i1, i2, j1, j2 in ops if op != "equal")


for floor in FLOORS:
    table = pinyin.PinyinTable(live.chars, live.words, frozenset(w for w in live.protected if freq.get(w, 0) >= floor),
                               live.spellings, live.pairs, live.made_with)
    for name, texts in sets.items():
        changed = [(t, table.correct(t)) for t in texts if table.correct(t) != live.correct(t)]
        print(f"\nprotected from jieba frequency {floor}, {name}: {len(changed)} of {len(texts)} changed")
        for before, after in changed:
            print(f"  {changes(before, after)} | {before[:40]}")
