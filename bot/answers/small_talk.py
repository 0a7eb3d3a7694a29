"""Greetings and thanks ("你好", "谢谢！", "你好，在吗？") get a hint, not a search: the same in every channel."""
from __future__ import annotations

import re
import unicodedata

from bot.answers import texts

# Longest first, so "在不在" is taken whole before "在".
_PHRASES = sorted(texts.SMALL_TALK, key=len, reverse=True)
_FILLERS = "啊呀啦哈吧呢嘛"


def is_small_talk(text: str) -> bool:
    """Whether the message is only greetings, thanks and acknowledgements, however many ("你好
    在吗", "好的 谢谢啊"): a search would find some matter for them (a greeting once came closest
    to the petition referral)."""
    rest = re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text)).lower()
    if not rest:
        return False
    while rest:
        phrase = next((p for p in _PHRASES if rest.startswith(p)), None)
        if phrase is None:
            return False
        rest = rest[len(phrase):].lstrip(_FILLERS)
    return True
