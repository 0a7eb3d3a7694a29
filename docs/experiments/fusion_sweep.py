"""Fusion settings (bot/retrieval/searcher.py SearchConfig) measured on more than the two dev sets.

Ranking top-1 on dev, life-dev, and on one held-out fifth of the corpus's own life questions that
an item answers (scored against an index built in memory without that fifth), for a grid of BM25
shares and synonym weights. Ranking only: the decision is not refitted here. Run from the project
folder after scripts/build_index.py:
    .venv/bin/python docs/experiments/fusion_sweep.py
"""
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, '.')
from bot.retrieval.metrics import load_eval  # noqa: E402
from bot.retrieval.opening import open_searcher  # noqa: E402
from bot.retrieval.searcher import Searcher  # noqa: E402
from bot.retrieval.variants import variant  # noqa: E402
from bot.settings import Settings  # noqa: E402

searcher = open_searcher(Settings.from_env())
sets = {name: [(q.q, set(q.gold)) for q in load_eval(Path(f'../shared/eval/{name}.jsonl')) if q.gold]
        for name in ('dev', 'life-dev')}
life = sorted({(p.text, p.item_id) for p in searcher.index.passages
               if p.kind == 'question' and p.source == 'life' and not p.item_id.startswith('ref-')})
fold = {t for i, (t, _) in enumerate(life) if i % 5 == 0}
held = variant(searcher, keep=lambda p: not (p.kind == 'question' and p.text in fold))
sets['corpus life, held-out fifth'] = [(t, {item}) for t, item in life if t in fold]


def top1(s: Searcher, questions) -> float:
    return sum(bool(r.matches) and r.matches[0].id in gold
               for r, gold in ((s.search(q, top_k=1), gold) for q, gold in questions)) / len(questions)


print("| BM25 share | synonym weight | " + " | ".join(f"{n} ({len(v)})" for n, v in sets.items()) + " |")
print("|---|---|" + "---|" * len(sets))
for lexical in (0.025, 0.05, 0.1):
    for synonym in (0.0, 0.25, 0.5):
        cfg = replace(searcher.config, lexical_weight=lexical, synonym_weight=synonym)
        figures = [top1(Searcher((held if 'corpus' in n else searcher).index, searcher.embedder, cfg), qs)
                   for n, qs in sets.items()]
        print(f"| {lexical} | {synonym} | " + " | ".join(f"{f:.3f}" for f in figures) + " |", flush=True)
