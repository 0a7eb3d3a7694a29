"""Which words may sound-alike typo repair (bot/retrieval/pinyin.py) write into a question?

The repaired text is what gets embedded, so a wrong repair costs more than a missed one:
"谁管" read as 水管, "叫不醒" as 叫不行, "摸着没气了" as 摸着煤气了. Variants of the table, built in
memory from the live index, scored on the evaluation sets, with how many of their questions
each variant changes:

    .venv/bin/python docs/experiments/typo_targets.py ../shared/eval/dev.jsonl \
        ../shared/eval/life-dev.jsonl ../shared/eval/emergency-dev.jsonl
"""
from __future__ import annotations

import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

from evaluate import score, system_outcomes, table  # noqa: E402

from bot.retrieval import pinyin  # noqa: E402
from bot.retrieval.metrics import load_eval  # noqa: E402
from bot.retrieval.opening import open_searcher  # noqa: E402
from bot.retrieval.searcher import Searcher  # noqa: E402
from bot.retrieval.store import TYPO_TARGET_KINDS  # noqa: E402
from bot.settings import Settings  # noqa: E402


def main(paths: list[str]) -> None:
    searcher = open_searcher(Settings.from_env())
    idx = searcher.index
    texts = [p.text for p in idx.passages]
    vocabulary = Counter(w for t in texts for w in set(searcher.lexical.words_in(t)))
    in_list = {w for p in idx.passages if p.kind in TYPO_TARGET_KINDS for w in searcher.lexical.words_in(p.text)}
    live = idx.pinyin

    def table_of(words: dict[str, int], spellings: bool) -> pinyin.PinyinTable:
        return pinyin.PinyinTable.build(words, protected=set(live.protected), texts=texts if spellings else None)

    tables = {
        "no repair": None,
        "any word of 2+ passages, no spelling counts": table_of(vocabulary, spellings=False),
        "any word of 2+ passages, spelling counts": table_of(vocabulary, spellings=True),
        "words of the list's own texts, spelling counts": table_of(
            {w: c for w, c in vocabulary.items() if w in in_list}, spellings=True),
    }
    # The neighbour check (PinyinTable._fit) reads the character pairs the spelling counts come with.
    tables["words of the list's own texts, spelling counts, no neighbour check"] = replace(
        tables["words of the list's own texts, spelling counts"], pairs={})
    for path in paths:
        questions = load_eval(Path(path))
        rows, changed = {}, {}
        for name, tab in tables.items():
            config = replace(searcher.config, repair_typos=tab is not None)
            variant = Searcher(replace(idx, pinyin=tab or live), searcher.embedder, config)
            rows[name] = score(system_outcomes(variant, questions))
            changed[name] = sum(tab.correct(q.q) != q.q for q in questions) if tab else 0
        print(f"\n{path} ({len(questions)} questions)\n")
        print(table(rows))
        print("\nquestions changed by the repair: " + "; ".join(f"{k}: {v}" for k, v in changed.items()))


if __name__ == "__main__":
    main(sys.argv[1:])
