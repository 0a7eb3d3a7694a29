"""Greetings and thanks ("你好", "谢谢！", "你好，在吗？") get a hint, not a search: the same in every channel."""
from __future__ import annotations

import re
import unicodedata

from bot.answers import texts

# One or more greetings, thanks or acknowledgements, each perhaps followed by a particle. Longest
# phrase first, so "好的" is not read as "好" and a stray "的".
_SMALL_TALK = re.compile("(?:(?:{})[啊呀啦哈吧呢嘛了滴哒]*)+".format(
    "|".join(re.escape(p) for p in sorted(texts.SMALL_TALK, key=len, reverse=True))))


_THANKS = re.compile(r"谢|辛苦|麻烦了")


def small_talk_reply(text: str) -> str:
    """"不客气" after thanks, "在的" after a greeting or "问个事"."""
    return texts.SMALL_TALK_REPLY if _THANKS.search(text) else texts.SMALL_TALK_GREETING_REPLY


def is_small_talk(text: str) -> bool:
    """Whether the message is only greetings, thanks and acknowledgements, however many ("你好
    在吗", "好的 谢谢啊"): a search would find some matter for them (a greeting once came closest
    to the petition referral)."""
    bare = re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text)).lower()
    return bool(bare) and _SMALL_TALK.fullmatch(bare) is not None
