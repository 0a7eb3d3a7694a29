#!/usr/bin/env python3
"""Question-log figures for a date range, and a CSV of unanswered and disliked questions.

    python scripts/report.py --from 2026-11-01 --to 2026-11-30 --csv problems.csv

The CSV is UTF-8 with BOM (opens cleanly in Excel). Fill its last column (确认事项id)
with the item that answers each question, then feed it to scripts/learn.py --csv.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.corpus.model import CorpusError, load_duties  # noqa: E402
from bot.feedback.report import (  # noqa: E402
    add_log_arguments,
    day_range,
    open_existing_log,
    write_problems_csv,
)
from bot.settings import Settings  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_log_arguments(parser, 7, "first day")
    parser.add_argument("--csv", type=Path, help="write unanswered and 👎 questions to this CSV")
    args = parser.parse_args(argv)
    if args.end < args.start:
        parser.error("--to is before --from")
    settings = Settings.from_env()
    qlog = open_existing_log(args, settings)
    if qlog is None:
        return 1
    start, end = day_range(args)
    s = qlog.stats(start, end, top=10)
    try:
        titles = {d.id: d.display_title for d in load_duties(settings.duties_path)}
    except CorpusError:
        titles = {}
    print(f"{args.start} – {args.end}")
    print(f"questions        {s.questions}")
    print(f"answered         {s.answered} ({s.answered_rate:.1%})")
    print(f"feedback         👍 {s.feedback_up}  👎 {s.feedback_down}  (👎 rate {s.down_rate:.1%})")
    if s.top_items:
        print("top items:")
        for item, n in s.top_items:
            print(f"  {n:5}  {item}  {titles.get(item, '')[:40]}")
    if args.csv:
        rows = qlog.problems(start, end)
        write_problems_csv(rows, args.csv)
        print(f"wrote {len(rows)} unanswered or 👎 questions to {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
