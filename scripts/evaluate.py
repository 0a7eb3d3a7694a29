#!/usr/bin/env python3
"""Measure retrieval on a question set: the full system against two plain baselines.

QUESTIONS.jsonl holds {"q": "...", "gold": ["basic-001", ...], "style": "..."} per line;
gold [] marks a question that no item covers. Prints a Markdown table (also --json).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.corpus.questions import load_questions  # noqa: E402
from bot.corpus.synonyms import SynonymTable  # noqa: E402
from bot.retrieval.lexical import LexicalIndex, build_lexical  # noqa: E402
from bot.retrieval.metrics import Outcome, Scores, load_eval, score  # noqa: E402
from bot.retrieval.opening import open_searcher  # noqa: E402
from bot.retrieval.passages import Passage  # noqa: E402
from bot.retrieval.searcher import Searcher  # noqa: E402
from bot.retrieval.variants import variant  # noqa: E402
from bot.settings import Settings  # noqa: E402


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def system_outcomes(searcher, questions) -> list[Outcome]:
    out = []
    for q in questions:
        result = searcher.search(q.q, top_k=10)
        out.append(Outcome(q, [m.id for m in result.matches], result.answered, result.kind,
                           result.emergency is not None if searcher.index.emergency is not None else None))
    return out


def title_dense_outcomes(searcher, questions) -> list[Outcome]:
    """Baseline: one vector per item title, nothing else."""
    ids = [d.id for d in searcher.duties]
    titles = searcher.embedder.embed_passages([d.display_title for d in searcher.duties])
    queries = searcher.embedder.embed_queries([q.q for q in questions])
    sims = queries @ titles.T
    return [Outcome(q, [ids[i] for i in np.argsort(-row)[:10]]) for q, row in zip(questions, sims)]


def bm25_outcomes(searcher, questions) -> list[Outcome]:
    """Baseline: BM25 over each item's own list text (no example questions, no synonyms)."""
    ids = [d.id for d in searcher.duties]
    docs = [
        [d.display_title, *d.town_duties, *d.penalties,
         *(x for s in d.department_duties for x in s.departments + s.duties)]
        for d in searcher.duties
    ]
    lexical = LexicalIndex(build_lexical(docs, SynonymTable()), SynonymTable())
    out = []
    for q in questions:
        scores = lexical.scores(q.q)
        out.append(Outcome(q, [ids[i] for i in np.argsort(-scores, kind="stable")[:10]]))
    return out


def ablation_searchers(searcher) -> dict[str, Searcher]:
    """The full system with one lever removed at a time (same model, same run)."""
    no_bm25 = replace(searcher.config, lexical_weight=0.0)
    return {
        "without example questions from life": variant(searcher, keep=lambda p: p.source != "life"),
        "without any example questions": variant(searcher, keep=lambda p: p.kind != "question"),
        "without referrals": variant(searcher, referrals=False),
        "without typo repair (pinyin)": Searcher(searcher.index, searcher.embedder,
                                                 replace(searcher.config, repair_typos=False)),
        "without synonyms": variant(searcher, synonyms=SynonymTable()),
        "without BM25": Searcher(searcher.index, searcher.embedder, no_bm25),
    }


def with_extra_questions(searcher, path: Path) -> tuple[Searcher, int]:
    """The full system with more example questions (e.g. a learned set) added in memory."""
    extra = load_questions(path, set(searcher.index.targets))
    vectors = searcher.embedder.embed_passages([q.q for q in extra])
    passages = [Passage(q.id, "question", q.q, source=q.source) for q in extra]
    return variant(searcher, passages_extra=passages, vectors_extra=vectors), len(extra)


def sweep_searchers(searcher) -> dict[str, Searcher]:
    """The full system with other fusion settings."""
    cfg = searcher.config
    configs = {f"BM25 share {w}": replace(cfg, lexical_weight=w) for w in (0.0, 0.025, 0.1, 0.2)}
    configs.update({f"synonym weight {w}": replace(cfg, synonym_weight=w) for w in (0.0, 0.5, 1.0)})
    return {name: Searcher(searcher.index, searcher.embedder, c) for name, c in configs.items()}


def table(rows: dict[str, Scores]) -> str:
    lines = [
        "| system | top-1 | top-3 | MRR@10 | top-1 answered | in-scope falsely rejected | out-of-scope rejected "
        "| out-of-scope answered unrelated | out-of-scope referred | emergencies flagged | false alarms |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in rows.items():
        lines.append(f"| {name} | {_fmt(s.top1)} | {_fmt(s.top3)} | {_fmt(s.mrr10)} | {_fmt(s.top1_answered)} | "
                     f"{_fmt(s.false_rejected)} | {_fmt(s.oos_rejected)} | {_fmt(s.oos_unrelated)} | "
                     f"{_fmt(s.referral_share)} | {_fmt(s.emergency_recall)} | {_fmt(s.false_alarms)} |")
    return "\n".join(lines)


def style_table(s: Scores) -> str:
    lines = ["| style | n | top-1 | top-3 | MRR@10 | rejected (oos) / falsely rejected (in-scope) |",
             "|---|---|---|---|---|---|"]
    for style, row in s.by_style.items():
        rej = row.get("oos_rejected", row.get("false_rejected"))
        lines.append(f"| {style} | {int(row['n'])} | {_fmt(row.get('top1'))} | {_fmt(row.get('top3'))} | "
                     f"{_fmt(row.get('mrr10'))} | {_fmt(rej)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path, help="JSONL question set")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--misses", action="store_true", help="list the questions the system got wrong")
    parser.add_argument("--ablation", action="store_true", help="also score the system with each lever removed")
    parser.add_argument("--with-questions", type=Path, action="append", default=[], metavar="JSONL",
                        help="also score the system with these extra example questions (e.g. a learned set)")
    parser.add_argument("--sweep", action="store_true",
                        help="also score other BM25 shares and synonym weights (how the defaults were chosen)")
    args = parser.parse_args(argv)
    try:
        questions = load_eval(args.questions)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    searcher = open_searcher(Settings.from_env(), build_if_needed=True, progress=True)
    started = time.perf_counter()
    system = system_outcomes(searcher, questions)
    seconds = time.perf_counter() - started
    rows = {
        "full system": score(system),
        "baseline: title-only dense": score(title_dense_outcomes(searcher, questions)),
        "baseline: BM25 only": score(bm25_outcomes(searcher, questions)),
    }
    if args.ablation:
        for name, variant in ablation_searchers(searcher).items():
            rows[f"ablation: {name}"] = score(system_outcomes(variant, questions))
    for extra_path in args.with_questions:
        grown, n = with_extra_questions(searcher, extra_path)
        rows[f"with {n} questions from {extra_path.name}"] = score(system_outcomes(grown, questions))
    if args.sweep:
        for name, variant in sweep_searchers(searcher).items():
            rows[f"sweep: {name}"] = score(system_outcomes(variant, questions))
    if args.json:
        print(json.dumps({k: v.__dict__ for k, v in rows.items()}, ensure_ascii=False, indent=1))
    else:
        s = rows["full system"]
        print(f"{len(questions)} questions ({s.n_in} in scope, {s.n_out} out of scope), "
              f"model {searcher.index.meta.model}, {seconds / max(len(questions), 1) * 1000:.1f} ms/question\n")
        print(table(rows))
        print("\nFull system by style:\n")
        print(style_table(s))
    if args.misses:
        for o in system:
            wrong = (o.question.in_scope and (not o.ranked or o.ranked[0] not in o.question.gold)) or \
                    (o.question.in_scope and not o.answered) or (not o.question.in_scope and o.answered) or \
                    (o.question.emergency is not None and o.emergency is not None
                     and o.question.emergency != o.emergency)
            if wrong:
                print(f"MISS [{o.question.style}] {o.question.q} gold={o.question.gold} "
                      f"got={o.ranked[:3]} kind={o.kind} emergency={o.emergency}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
