#!/usr/bin/env python3
"""Ask the duty list a question from the terminal, worded as the bot would answer.

    python scripts/ask.py "村里有人在河堤上盖棚子，归谁管？"
    python scripts/ask.py --json --top 3 "低保谁审批"
    printf '问题一\\n问题二\\n' | python scripts/ask.py --json     # one JSON line per question

Builds the index first if there is none (or it is stale).
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.answers.render import format_answer, to_plain  # noqa: E402
from bot.corpus.model import CorpusError  # noqa: E402
from bot.engine import open_engine  # noqa: E402
from bot.retrieval.store import IndexUnavailable  # noqa: E402
from bot.settings import Settings, SettingsError  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("question", nargs="*", help="the question; none: read one question per line from stdin")
    parser.add_argument("--json", action="store_true", help="one JSON object per question")
    parser.add_argument("--top", type=int, default=None, metavar="K",
                        help="matches to return (default: the TOP_K setting, 5)")
    args = parser.parse_args(argv)
    if args.top is not None and args.top < 1:
        parser.error("--top must be at least 1")
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        settings = Settings.from_env()
        engine = open_engine(settings, build_if_needed=True, progress=True)
    except (CorpusError, SettingsError, IndexUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    top = args.top or settings.top_k

    def answer(question: str) -> None:
        result = engine.ask(question, top)
        if args.json:
            print(json.dumps(result.to_json(), ensure_ascii=False), flush=True)
        else:
            print(to_plain(format_answer(result, buttons=False)), flush=True)

    if args.question:
        answer(" ".join(args.question))
    else:
        for i, line in enumerate(sys.stdin):
            if not args.json and i:
                print("\n" + "-" * 20)
            answer(line.rstrip("\n"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
