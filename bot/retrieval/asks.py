"""Split a message that raises several matters into its asks.

"低保咋申请？另外俺家房子漏雨了能不能给修" asks two things that need two answers. A message is cut
where a new ask starts: before a word that opens another matter (另外, 还有, 再一个, 顺便问一下,
对了, 二是, "2、" …); in a short message also after a question mark followed by more text, and
at a space between two asking clauses. A long message (a story told by voice) is cut only at
such opening words: its question marks and spaces mostly separate follow-up questions on the
same matter. A piece with too little of its own to say ("谁来调解", "去哪办") joins the ask
before it. Whether the pieces are really separate matters is for the searcher to judge (each
must find its own answer, confidently and different from the others); this module only cuts text.
"""
from __future__ import annotations

import re

MAX_ASKS = 3  # more pieces than this are sub-questions of one matter, not matters
# A piece needs this many characters of its own beyond question and filler words to be an ask:
# "水费在哪交" (水费在交) is one, "谁来调解" (调解) leans on what came before; a statement needs
# fewer ("停电了": 停电).
MIN_CONTENT = 3
MIN_STATEMENT = 2
# A word that opens another matter, at the start of a clause (after punctuation or a space,
# as typed or dictated). "还有没有…" asks whether something still exists, "还有人在挖" goes on
# with the same matter: not a new one.
# 第二/第一 and 再问 only as openers ("第二天他又来挖了" and "再问问村里" go on with the matter).
_SEP = r"(?=[，,、:：\s]|是)"
_OPENER = (r"另外(?:还有)?|此外|还有(?!没有|没|吗|啥|多少|几|人|的|点|些|很多|好多|不少|俩|两)(?:个事|一个事|一件事|件事)?|"
           r"再一个|再有|再就是|再问(?:一下|个事|一个)|顺便(?:问|说|打听)(?:一下|下|个事)?|对了|"
           rf"(?:俺|我|咱)?还想问(?:一下|问)?|另一个事?|第二(?:个事|件事|{_SEP})|二是|三是|其次|以及")
# "2、" or "2." numbering an ask, not "1.5亩"
_NUMBER = r"(?:(?<![0-9０-９.．])[1-9１-９](?:[、)）]|[.．])(?![0-9０-９])|[①②③④⑤]|[一二三四][、.])"
_AT_OPENER = re.compile(rf"(?<=[。！!？?；;，,\s])(?=(?:{_OPENER}|{_NUMBER}))|(?<=\S)(?=\s*{_NUMBER})")
_AT_QUESTION_MARK = re.compile(r"(?<=[？?])")
_LEAD = re.compile(rf"^(?:\s|[，,。、：:；;！!]|(?:{_OPENER})(?:就是|是)?|{_NUMBER}|一是|一个是|第一(?:个事|件事|{_SEP})(?:是)?)+")
_TRAIL = re.compile(r"[\s，,。、：:；;]+$")
# "俺问两件事：" announces the asks; it is not one (alone, or before the first ask).
_ANNOUNCE = re.compile(r"^.{0,12}?(?:[两俩几三2-3](?:个|件)?(?:事|问题)|几句)[啊呀哈]?(?:$|[：:，,\s]+)")
# "好几年 / 前几天 / 十几个 / 过几天" tell how many; a 几 after anything else asks it ("要几天").
_COUNTING, _UNITS = "好十这那前近头过没隔", "个时点天号月年回次"
_COUNT = rf"[{_COUNTING}]几[{_UNITS}]"
_HOW_MANY = rf"(?<![{_COUNTING}])几[{_UNITS}]"
# A clause that asks something. Typed or dictated without punctuation, two questions are often
# only a space apart ("耕地补贴啥时候发 电费咋这么贵"). A count does not ask: "低保咋申请啊 俺家老头瘫炕上
# 好几年了" is one ask with its reason (a black-box review).
_ASKING = re.compile(r"[？?]|吗|呢|咋|怎么|怎样|谁|哪|啥|什么|多少|多久|"
                     rf"{_HOW_MANY}|"
                     r"能不能|可不可以|行不行|"
                     r"是不是|有没有|[不没]$")
# Time words say when, not what: "今年交多少" leans on the ask before it; nor does "好几年没发了" say
# what of its own ("耕地补贴啥时候发？好几年没发了" is one ask).
# "打哪个电话" asks how to reach whoever handles what came before: a phone says whom, not what.
_FILLER = re.compile(rf"{_COUNT}|" r"时候|有人|今年|去年|明年|每年|现在|这个月|电话|号码|[俺我咱你他她它们的了来去给找问下一个要能还是都也这那就不没呀啊吧呢嘛得该让]")
_MEANINGFUL = re.compile(r"[\u3400-\u9fffA-Za-z0-9]")


def _says_enough(piece: str) -> bool:
    """Whether a piece says enough of its own, beyond question and filler words, to be an ask."""
    own = len(_MEANINGFUL.findall(_FILLER.sub("", _ASKING.sub("", piece))))
    return own >= (MIN_CONTENT if _ASKING.search(piece) else MIN_STATEMENT)


def _at_spaces(piece: str) -> list[str]:
    """Cut at a space where the words before it ask something and so do the words after it."""
    words = piece.split(" ")
    for i in range(1, len(words)):
        after = " ".join(words[i:])
        if _ASKING.search(words[i - 1]) and _ASKING.search(after):
            return [" ".join(words[:i]), *_at_spaces(after)]
    return [piece]


def _pieces(text: str, long: bool) -> list[str]:
    pieces = [p.strip() for p in _AT_OPENER.split(text) if p.strip()]
    if long:
        return pieces
    return [s for p in pieces for q in _AT_QUESTION_MARK.split(p) if q.strip() for s in _at_spaces(q.strip())]


def split_asks(text: str, long: bool = False) -> list[str]:
    """The message's asks in order, each without its opening word; one piece when it does not split.

    `long`: the message is a long story (only opening words cut it)."""
    asks: list[str] = []
    for piece in _pieces(text, long):
        cleaned = _TRAIL.sub("", _LEAD.sub("", _ANNOUNCE.sub("", piece, count=1)))
        if not cleaned:
            continue
        if asks and not _says_enough(cleaned):  # "谁来调解" belongs to the ask before it
            asks[-1] = f"{asks[-1]} {cleaned}"
        elif asks and not _says_enough(asks[-1]):  # so does a short lead-in to what follows
            asks[-1] = f"{asks[-1]} {cleaned}"
        else:
            asks.append(cleaned)
    if len(asks) > MAX_ASKS or len(asks) < 2:
        return [text.strip()]
    return asks
