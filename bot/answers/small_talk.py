"""Greetings and thanks ("你好", "谢谢！") get a hint, not a search: the same in every channel."""
from __future__ import annotations

import re
import unicodedata

from bot.answers import texts


def is_small_talk(text: str) -> bool:
    bare = re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text)).lower()
    return bare in texts.SMALL_TALK or (bool(bare) and bare.rstrip("啊呀啦哈") in texts.SMALL_TALK)
