#!/usr/bin/env python3
"""Benchmark the answer path (a benchmark, not a test; figures on a shared machine are noisy).

Reports, measured in one run: per-question latency p50/p95 of the full answer path
against the bare embedding call; cold start to first answer; index build time (full
and after a one-item edit); peak memory; and a scale run with the corpus replicated
to --scale-items items (build time, index size, question latency).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.answers.render import format_answer  # noqa: E402
from bot.corpus.model import load_duties, make_id, write_duties  # noqa: E402
from bot.engine import ContactBook, Engine  # noqa: E402
from bot.retrieval.embedders import load_embedder  # noqa: E402
from bot.retrieval.live import SearcherHolder  # noqa: E402
from bot.retrieval.opening import open_searcher  # noqa: E402
from bot.retrieval.store import build_index  # noqa: E402
from bot.settings import Settings  # noqa: E402

# Questions written for the benchmark (not from any evaluation set).
QUESTIONS = [
    "村里有人在河堤上盖棚子，归谁管？", "低保谁审批", "发大水了村里咋办", "身份证丢了去哪补办",
    "有人在耕地上建房子", "老人去世了高龄津贴还在发", "网格员发现有人烧秸秆", "村里的路坏了谁来修",
    "三务公开", "养老保险怎么交", "残疾人补贴找谁", "森林防火", "禁牧期间有人放羊", "村规民约谁来指导",
    "无犯罪记录证明在哪开", "退役军人优待", "学校门口有黑校车", "狂犬病疫苗", "危房改造", "宅基地审批",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def latency(fn, questions: list[str], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        for q in questions:
            t = time.perf_counter()
            fn(q)
            times.append((time.perf_counter() - t) * 1000)
    return times


def copy_settings(settings: Settings, base: Path) -> Settings:
    shutil.copytree(settings.corpus_dir, base / "corpus", ignore=shutil.ignore_patterns("source"))
    if (settings.index_dir / "current").exists():
        shutil.copytree(settings.index_dir, base / "index", symlinks=True)
    return Settings.from_env(env_file=None, corpus_dir=base / "corpus", index_dir=base / "index",
                             embedding_model=settings.embedding_model)


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def replicate(settings: Settings, items: int) -> int:
    """Copies of the list as if from a hundred towns: same texts, new ids."""
    duties = load_duties(settings.duties_path)
    questions = [json.loads(x) for x in settings.questions_path.read_text(encoding="utf-8").splitlines() if x]
    copies = max(1, -(-items // len(duties)))
    out, qs = [], [q for q in questions if q["id"].startswith("ref-")]  # referrals stay one set
    item_questions = [q for q in questions if not q["id"].startswith("ref-")]
    for k in range(copies):
        for d in duties:
            number = k * 1000 + d.number
            out.append(d.__class__(**{**d.__dict__, "number": number, "id": make_id(d.list, number)}))
        qs += [{**q, "id": make_id(q["id"].split("-")[0], k * 1000 + int(q["id"].split("-")[1]))}
               for q in item_questions]
    out.sort(key=lambda d: (("basic", "coop", "returned").index(d.list), d.number))
    write_duties(out[: max(items, len(duties))], settings.duties_path)
    kept = {d.id for d in out[: max(items, len(duties))]}
    settings.questions_path.write_text(
        "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in qs if q["id"] in kept or q["id"].startswith("ref-")),
        encoding="utf-8")
    for name in ("matters.jsonl", "short_names.tsv"):  # they name the original ids only
        (settings.corpus_dir / name).unlink(missing_ok=True)
    return len(kept)


def time_builds(work: Settings, embedder) -> dict[str, float]:
    """A full build from nothing, then a rebuild after a one-item edit."""
    if work.index_dir.exists():
        shutil.rmtree(work.index_dir)
    t = time.perf_counter()
    full = build_index(work, embedder, progress=True)
    results = {"build_full_s": time.perf_counter() - t, "passages": full.meta.passages}
    lines = work.duties_path.read_text(encoding="utf-8").splitlines()
    item = json.loads(lines[100])
    item["title"] += "（修订）"
    lines[100] = json.dumps(item, ensure_ascii=False)
    work.duties_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    t = time.perf_counter()
    edit = build_index(work, embedder, progress=False)
    results["build_one_edit_s"] = time.perf_counter() - t
    results["build_one_edit_embedded"] = edit.embedded
    return results


def cold_start(settings: Settings, runs: int = 3) -> float:
    """Median wall time of `scripts/ask.py --json` answering one question in a fresh process."""
    env = dict(os.environ, CORPUS_DIR=str(settings.corpus_dir), INDEX_DIR=str(settings.index_dir))
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "scripts" / "ask.py"), "--json", "低保谁审批"],
                       env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="passes over the questions (default 5)")
    parser.add_argument("--scale-items", type=int, default=30000, help="items in the scale run (0: skip)")
    parser.add_argument("--reuse-index", action="store_true",
                        help="answer from a copy of the current index instead of timing full and one-edit builds")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    results: dict[str, object] = {}

    with tempfile.TemporaryDirectory() as tmp:
        work = copy_settings(settings, Path(tmp) / "base")
        embedder = load_embedder(work.embedding_model)
        if not args.reuse_index:
            results.update(time_builds(work, embedder))

        results["cold_start_s"] = cold_start(work)
        results["ask_process_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

        searchers = {"base": open_searcher(work)}
        if args.scale_items:
            scale = copy_settings(work, Path(tmp) / "scale")
            n = replicate(scale, args.scale_items)
            t = time.perf_counter()
            report = build_index(scale, embedder, progress=False)
            results["scale_build_s"] = time.perf_counter() - t
            results["scale_items"] = n
            results["scale_passages"] = report.meta.passages
            results["scale_faiss"] = report.meta.faiss_index
            results["scale_index_mb"] = dir_size(report.path) / 2**20
            t = time.perf_counter()
            searchers["scale"] = open_searcher(scale)
            results["scale_load_s"] = time.perf_counter() - t
            results["scale_cold_start_s"] = cold_start(scale)
        for s in searchers.values():
            s.search("预热")

        # Interleaved, so that load from other processes hits every variant alike.
        times: dict[str, list[float]] = {"embed": [], **{name: [] for name in searchers}}
        engines = {name: Engine(SearcherHolder(work, s), ContactBook(work.contacts_file))
                   for name, s in searchers.items()}
        calls = {"embed": lambda q: embedder.embed_queries([q]),
                 **{name: (lambda q, e=e: format_answer(e.ask(q))) for name, e in engines.items()}}
        for _ in range(args.rounds):
            for q in QUESTIONS:
                for name, call in calls.items():
                    t = time.perf_counter()
                    call(q)
                    times[name].append((time.perf_counter() - t) * 1000)
        results["embed_p50_ms"], results["embed_p95_ms"] = percentile(times["embed"], .5), percentile(times["embed"], .95)
        results["answer_p50_ms"], results["answer_p95_ms"] = percentile(times["base"], .5), percentile(times["base"], .95)
        results["answer_over_embed_p50"] = results["answer_p50_ms"] / results["embed_p50_ms"]
        if "scale" in times:
            results["scale_answer_p50_ms"] = percentile(times["scale"], .5)
            results["scale_answer_p95_ms"] = percentile(times["scale"], .95)
            results["scale_over_base_p50"] = results["scale_answer_p50_ms"] / results["answer_p50_ms"]
    results["bench_process_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    for key, value in results.items():
        print(f"{key:26} {value:.3f}" if isinstance(value, float) else f"{key:26} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
