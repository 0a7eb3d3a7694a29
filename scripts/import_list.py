#!/usr/bin/env python3
"""Regenerate corpus/duties.jsonl from the published list in corpus/source/.

Deterministic: two runs give identical bytes. A source that does not parse stops
with the line number and what was expected, and nothing is written.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.corpus.importer import SourceError, parse_file  # noqa: E402
from bot.corpus.model import LIST_NAMES, write_duties  # noqa: E402

DEFAULT_SOURCE = ROOT / "corpus" / "source" / "000_abfaf3bcc1fa4131.txt"
DEFAULT_OUTPUT = ROOT / "corpus" / "duties.jsonl"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE, help="extracted list text")
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT, help="duties.jsonl to write")
    args = parser.parse_args(argv)
    try:
        duties = parse_file(args.source)
    except FileNotFoundError:
        print(f"error: {args.source}: file not found", file=sys.stderr)
        return 2
    except SourceError as exc:
        print(f"error: {args.source}: {exc}; nothing written", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_duties(duties, args.output)
    counts = Counter(d.list for d in duties)
    summary = ", ".join(f"{LIST_NAMES[k]} {counts[k]}" for k in LIST_NAMES)
    print(f"wrote {len(duties)} items to {args.output} ({summary})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
