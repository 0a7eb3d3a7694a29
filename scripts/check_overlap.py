#!/usr/bin/env python3
"""Find (and with --drop, remove) corpus example questions that copy evaluation questions.

Evaluation sets measure the system on questions it has not seen; an example question that is
the same as, or nearly the same as (character-pair overlap ≥ 0.6), an evaluation question would
inflate the figures. Checks questions.jsonl, emergency.jsonl, out_of_list.jsonl and the
referrals' example questions.

    python scripts/check_overlap.py ../shared/eval/*.jsonl          # list overlaps
    python scripts/check_overlap.py ../shared/eval/*.jsonl --drop   # and remove them
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = ("questions.jsonl", "emergency.jsonl", "out_of_list.jsonl")
THRESHOLD = 0.6


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text)


def _pairs(text: str) -> set[str]:
    t = _norm(text)
    return {t[i:i + 2] for i in range(len(t) - 1)} or {t}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("eval", type=Path, nargs="+", help="evaluation sets (JSONL with \"q\")")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--drop", action="store_true", help="rewrite the corpus files without the overlaps")
    args = parser.parse_args(argv)
    evals = [json.loads(line)["q"] for path in args.eval for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip()]
    exact = {_norm(q) for q in evals}
    grams = [_pairs(q) for q in evals]

    def overlaps(q: str) -> bool:
        if _norm(q) in exact:
            return True
        g = _pairs(q)
        return len(g) >= 2 and any(len(g & e) / len(g | e) >= THRESHOLD for e in grams)

    total = 0
    for name in FILES:
        path = args.corpus / name
        if not path.exists():
            continue
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        bad = [line for line in lines if line.strip() and overlaps(json.loads(line)["q"])]
        total += len(bad)
        print(f"{name}: {len(bad)} of {len(lines)} lines overlap an evaluation question")
        for line in bad:
            print("   ", json.loads(line)["q"])
        if args.drop and bad:
            drop = set(map(id, bad))
            path.write_text("".join(line for line in lines if id(line) not in drop), encoding="utf-8")
    path = args.corpus / "referrals.jsonl"
    if path.exists():
        referrals = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        bad_refs = [q for r in referrals for q in r["questions"] if overlaps(q)]
        total += len(bad_refs)
        print(f"referrals.jsonl: {len(bad_refs)} example questions overlap an evaluation question")
        for q in bad_refs:
            print("   ", q)
        if args.drop and bad_refs:
            for r in referrals:
                r["questions"] = [q for q in r["questions"] if not overlaps(q)]
            path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in referrals), encoding="utf-8")
    return 1 if total and not args.drop else 0


if __name__ == "__main__":
    sys.exit(main())
