#!/usr/bin/env python3
"""Add confirmed questions from the question log to corpus/questions.jsonl, then rebuild the index.

Confirmed = a 👍 on an answer, or a 👎 corrected by tapping the right item. Every pair
is reviewed by an admin first: interactively (y/n for each), or by filling the last
column (确认事项id) of the CSV written by scripts/report.py --csv and passing --csv.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.corpus.model import CorpusError, load_duties  # noqa: E402
from bot.feedback.learning import append_questions, from_csv, from_pairs, new_candidates  # noqa: E402
from bot.feedback.report import add_log_arguments, day_range, open_existing_log  # noqa: E402
from bot.retrieval.embedders import load_embedder  # noqa: E402
from bot.retrieval.store import build_index  # noqa: E402
from bot.settings import Settings  # noqa: E402


def review(candidates, titles) -> list:
    accepted = []
    for i, c in enumerate(candidates, 1):
        how = "👍" if c.how == "up" else "👎→改选"
        print(f"\n[{i}/{len(candidates)}] {how}\n  问题：{c.question}\n  事项：{titles[c.item_id][:60]}（{c.item_id}）")
        while True:
            print("  加入示例问题？[y]是 / [n]否 / [q]结束审核: ", end="", flush=True)
            answer = sys.stdin.readline()
            if not answer:  # end of input: stop reviewing, keep what was accepted
                return accepted
            answer = answer.strip().lower()
            if answer in ("y", "n", "q"):
                break
        if answer == "q":
            break
        if answer == "y":
            accepted.append(c)
    return accepted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, help="an edited report CSV: take rows whose 确认事项id is filled")
    add_log_arguments(parser, 31, "interactive review from this day")
    parser.add_argument("--no-rebuild", action="store_true", help="only add the questions; do not rebuild the index")
    args = parser.parse_args(argv)
    if args.end < args.start:
        parser.error("--to is before --from")
    settings = Settings.from_env()
    try:
        titles = {d.id: d.display_title for d in load_duties(settings.duties_path)}
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    if args.csv:
        try:
            candidates = from_csv(args.csv)
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    else:
        qlog = open_existing_log(args, settings)
        if qlog is None:
            return 1
        candidates = from_pairs(qlog.confirmed_pairs(*day_range(args)))

    usable, problems = new_candidates(candidates, set(titles), settings.questions_path)
    for p in problems:
        print(f"skipped: {p}", file=sys.stderr)
    if not usable:
        print("nothing new to learn")
        return 0
    accepted = usable if args.csv else review(usable, titles)
    added = append_questions(accepted, settings.questions_path)
    print(f"added {added} question(s) to {settings.questions_path}")
    if added and not args.no_rebuild:
        report = build_index(settings, load_embedder(settings.embedding_model), progress=False)
        print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
