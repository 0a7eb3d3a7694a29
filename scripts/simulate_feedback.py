#!/usr/bin/env python3
"""Simulate what scripts/learn.py would learn from users, to measure the learn loop.

Asks the current index every question of QUESTIONS.jsonl ({"id", "q"} lines whose id is
the right item; the questions must not be in the index yet) and writes two learned sets:

- OUT_DIR/learned-corrected.jsonl: every answer confirmed or corrected to the right item
  (users who 👍 right answers and 👎-and-pick on wrong ones);
- OUT_DIR/learned-careless.jsonl: every answered question confirmed as it was answered,
  right or wrong (users who 👍 whatever they get), unanswered ones corrected.

Then: scripts/evaluate.py DEV.jsonl --with-questions OUT_DIR/learned-corrected.jsonl
--with-questions OUT_DIR/learned-careless.jsonl
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.corpus.model import iter_jsonl  # noqa: E402
from bot.retrieval.opening import open_searcher  # noqa: E402
from bot.settings import Settings  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path, help="JSONL with the right item id per question")
    parser.add_argument("out_dir", type=Path, help="where to write the two learned sets")
    args = parser.parse_args(argv)
    searcher = open_searcher(Settings.from_env(), build_if_needed=True)
    corrected, careless, wrong_confirmed = [], [], 0
    for _, row in iter_jsonl(args.questions):
        result = searcher.search(row["q"])
        top = result.matches[0].id if result.matches else row["id"]
        corrected.append({"id": row["id"], "q": row["q"], "style": "learned", "source": "learned"})
        label = top if result.answered else row["id"]
        wrong_confirmed += label != row["id"]
        careless.append({"id": label, "q": row["q"], "style": "learned", "source": "learned"})
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for name, rows in (("learned-corrected.jsonl", corrected), ("learned-careless.jsonl", careless)):
        (args.out_dir / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                         encoding="utf-8")
    print(f"{len(corrected)} questions; the careless set confirms {wrong_confirmed} wrong answers "
          f"({wrong_confirmed / max(len(corrected), 1):.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
