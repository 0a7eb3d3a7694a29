"""Greetings and thanks ("你好", "谢谢！", "你好，在吗？") get a hint, not a search: the same in every channel."""
from __future__ import annotations

import re
import unicodedata

from bot.answers import texts

# One or more greetings, thanks or acknowledgements, each perhaps followed by a particle. Longest
# phrase first, so "好的" is not read as "好" and a stray "的".
_SMALL_TALK = re.compile("(?:(?:{})[啊呀啦哈吧呢嘛了滴哒]*)+".format(
    "|".join(re.escape(p) for p in sorted(texts.SMALL_TALK, key=len, reverse=True))))


_ASKING = re.compile(r"问|在|有人")
_THANKS = re.compile(r"谢|辛苦|麻烦了")
_GREETING = re.compile(r"[你您]好|早上好|中午好|下午好|晚上好|领导|大家好|hi|hello|嗨", re.IGNORECASE)


def small_talk_reply(text: str) -> str:
    """"在的" when someone is about to ask ("问个事", "在吗") or greets, "不客气" after thanks,
    else "好的" ("收到", "知道了", "再见")."""
    if _ASKING.search(text):
        return texts.SMALL_TALK_GREETING_REPLY
    if _THANKS.search(text):
        return texts.SMALL_TALK_REPLY
    return texts.SMALL_TALK_GREETING_REPLY if _GREETING.search(text) else texts.SMALL_TALK_OK_REPLY


def is_small_talk(text: str) -> bool:
    """Whether the message is only greetings, thanks and acknowledgements, however many ("你好
    在吗", "好的 谢谢啊"): a search would find some matter for them (a greeting once came closest
    to the petition referral)."""
    bare = re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text)).lower()
    return bool(bare) and _SMALL_TALK.fullmatch(bare) is not None
