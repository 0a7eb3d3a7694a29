#!/usr/bin/env python3
"""Rebuild the search index after the duty list (corpus/) changed.

Validates the corpus first (errors name the file and line; nothing is written),
embeds only texts it has not embedded before, and swaps the new index in atomically.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.retrieval.rebuild import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
