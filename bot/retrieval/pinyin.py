"""Typo repair by sound: 底保 -> 低保, 申情 -> 申请, 高领津贴 -> 高龄津贴, 彩伐证 -> 采伐证.

Phone input (pinyin keyboards, voice) turns words into same-sounding wrong characters. A
word of the question that is not in the index's vocabulary but sounds like one that is
(tones ignored) and shares a character with it is replaced by it. The character-to-pinyin
table and the vocabulary's sounds are made at build time (pypinyin) and stored in the build,
so answering needs no pypinyin.

Guards keep correct Chinese intact, because the repaired text is what gets embedded:
- targets are the words the index builder passes in (the list's own terms), found in at least
  MIN_PASSAGES passages (a typo in one example question, or "我市" from one duty, is not);
- a window that is an everyday word of jieba's dictionary, or whose edge cuts through one or
  through a target (the two characters across either edge form it), is left alone: "村口两台车"
  must not become "村口粮台车" by reading "口两" as 口粮, nor "退耕换林" 退更换林;
- a spelling more than a fifth as common in the passages as its target is how people write, not
  a typo (COMMONER): "屋里全是烟" keeps 全是 beside 全市, "底保" (17 passages) still becomes 低保 (214);
- nor is a window whose neighbours fit it COMMONER times better than they would fit the target
  (the pairs it forms with the characters on either side, counted in the passages): in "多少亩粮是谁定的"
  "是谁" is common and "食谁" is not, so 粮是 is not read as 粮食; "冰多厚能上人了" keeps 上人.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

_HAN_FIRST, _HAN_LAST = 0x4E00, 0x9FFF
MIN_WORD, MAX_WORD = 2, 4
MIN_PASSAGES = 2
# A string is taken for a typo of the word it sounds like only when that word is at least this many
# times as common in the passages: "谁管" (thousands of example questions) is how people write, not a typo
# of 水管; "底保" (a typo an example question keeps on purpose) is rare beside 低保.
COMMONER = 5
PROTECTED_MIN_FREQ = 10  # jieba dictionary frequency: about 94,000 words of 2-4 characters
# Part of `made_with`: raise it when _char_sounds or everyday_words change what they make.
TABLE_FORMAT = 1


def _is_han(char: str) -> bool:
    return _HAN_FIRST <= ord(char) <= _HAN_LAST


@dataclass
class PinyinTable:
    chars: dict[str, str] = field(default_factory=dict)  # 低 -> di
    words: dict[str, str] = field(default_factory=dict)  # "di bao" -> 低保 (the index's own word)
    protected: frozenset[str] = frozenset()  # everyday words never rewritten or cut through

    # passages containing each string that sounds like one of `words` (those words included)
    spellings: dict[str, int] = field(default_factory=dict)
    # passages containing each pair of adjacent Chinese characters (how well a word fits its neighbours)
    pairs: dict[str, int] = field(default_factory=dict)
    made_with: str = ""  # what the chars and the protected words came from (_library_versions); "" if given

    @classmethod
    def build(cls, vocabulary: dict[str, int], protected: set[str] | None = None,
              previous: PinyinTable | None = None, texts: list[str] | None = None) -> PinyinTable:
        """From the index's words and their passage counts (the commoner word wins a shared sound),
        the everyday words to protect (default: jieba's dictionary) and the passages' texts (how
        common each spelling is). The sounds of all characters and the everyday words depend only
        on the libraries: taken from `previous` (the live build's table) when it was made with the
        same versions."""
        made_with = _library_versions()
        if protected is not None:  # given, not made from the libraries: nothing to reuse, or to be reused
            table = cls(_char_sounds(), protected=frozenset(protected))
        elif previous is not None and previous.made_with == made_with and previous.chars:
            table = cls(previous.chars, protected=previous.protected, made_with=made_with)
        else:
            table = cls(_char_sounds(), protected=frozenset(everyday_words()), made_with=made_with)
        best: dict[str, tuple[int, str]] = {}
        for word, count in vocabulary.items():
            if count >= MIN_PASSAGES and MIN_WORD <= len(word) <= MAX_WORD and all(_is_han(c) for c in word):
                key = table.key(word)
                if key and (key not in best or (count, word) > best[key]):
                    best[key] = (count, word)
        table.words = {k: w for k, (_, w) in sorted(best.items())}
        table.spellings = table._count_spellings(texts or [])
        table.pairs = _count_pairs(texts or [])
        return table

    def _count_spellings(self, texts: list[str]) -> dict[str, int]:
        """In how many texts each string of MIN_WORD-MAX_WORD characters sounding like a word occurs."""
        prefixes = {" ".join(k.split(" ")[:m]) for k in self.words for m in range(1, MAX_WORD + 1)}
        counts: Counter[str] = Counter()
        for text in texts:
            sounds = [self.chars.get(c) for c in text]
            found = set()
            for i, first in enumerate(sounds):
                key = first
                for j in range(i + 1, min(len(text), i + MAX_WORD)):
                    if key not in prefixes or sounds[j] is None:
                        break
                    key = f"{key} {sounds[j]}"
                    if key in self.words:
                        found.add(text[i:j + 1])
            counts.update(found)
        return dict(sorted(counts.items()))

    def key(self, text: str) -> str | None:
        sounds = [self.chars.get(c) for c in text]
        return None if any(s is None for s in sounds) else " ".join(s for s in sounds if s)

    def correct(self, text: str) -> str:
        """The text with sound-alike typos of the index's words replaced (unchanged when none)."""
        if not self.words:
            return text
        known = self._known
        out, i = [], 0
        while i < len(text):
            replaced = False
            for n in range(MAX_WORD, MIN_WORD - 1, -1):
                window = text[i:i + n]
                if len(window) < n or window in known or not all(_is_han(c) for c in window):
                    continue
                # Nor cut through an everyday word or one of the index's: 退耕换林 must not become 退更换林.
                left, right = text[max(0, i - 1):i + 1], text[i + n - 1:i + n + 1]
                if window in self.protected or left in self.protected or right in self.protected \
                        or left in known or right in known:
                    continue
                key = self.key(window)
                word = self.words.get(key) if key else None
                # Sharing a character keeps "sounds alike" from rewriting unrelated words.
                if word and word != window and sum(a == b for a, b in zip(word, window)) >= max(1, n // 2) \
                        and self.spellings.get(window, 0) * COMMONER <= self.spellings.get(word, 0) \
                        and self._fit(text, i, window) <= COMMONER * self._fit(text, i, word):
                    out.append(word)
                    i += n
                    replaced = True
                    break
            if not replaced:
                out.append(text[i])
                i += 1
        return "".join(out)

    @cached_property
    def _known(self) -> frozenset[str]:
        return frozenset(self.words.values())

    def _fit(self, text: str, start: int, word: str) -> int:
        """How well `word` fits in place of text[start:start + len(word)]: the product of the passage
        counts (+1) of the pairs it forms with the Chinese characters on either side."""
        before, after = text[start - 1:start], text[start + len(word):start + len(word) + 1]
        fit = 1
        if before and _is_han(before):
            fit *= self.pairs.get(before + word[0], 0) + 1
        if after and _is_han(after):
            fit *= self.pairs.get(word[-1] + after, 0) + 1
        return fit

    def save(self, folder: Path) -> None:
        data = {"chars": self.chars, "words": self.words, "protected": sorted(self.protected),
                "spellings": self.spellings, "pairs": self.pairs, "made_with": self.made_with}
        (folder / "pinyin.json").write_text(json.dumps(data, ensure_ascii=False, sort_keys=True), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> PinyinTable:
        data = json.loads((folder / "pinyin.json").read_text(encoding="utf-8"))
        return cls(dict(data["chars"]), dict(data["words"]), frozenset(data.get("protected", ())),
                   {str(k): int(v) for k, v in data.get("spellings", {}).items()},
                   {str(k): int(v) for k, v in data.get("pairs", {}).items()}, str(data.get("made_with", "")))


def _count_pairs(texts: list[str]) -> dict[str, int]:
    """In how many texts each pair of adjacent Chinese characters occurs, where at least MIN_PASSAGES
    (a pair of one text tells little, and leaving them out halves what a start-up loads)."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update({text[i:i + 2] for i in range(len(text) - 1) if _is_han(text[i]) and _is_han(text[i + 1])})
    return {pair: n for pair, n in sorted(counts.items()) if n >= MIN_PASSAGES}


def _library_versions() -> str:
    import jieba
    import pypinyin

    return (f"table {TABLE_FORMAT} (words of {MIN_WORD}-{MAX_WORD}, everyday from frequency {PROTECTED_MIN_FREQ}), "
            f"pypinyin {pypinyin.__version__}, jieba {jieba.__version__}")


def _char_sounds() -> dict[str, str]:
    """Every common Chinese character's toneless sound (its first reading)."""
    from pypinyin import Style, lazy_pinyin

    chars = {}
    for code in range(_HAN_FIRST, _HAN_LAST + 1):
        char = chr(code)
        sound = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
        if sound and sound[0]:
            chars[char] = sound[0]
    return chars


def everyday_words() -> set[str]:
    """Words of 2-4 Chinese characters that jieba's dictionary knows as common."""
    import jieba

    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return {w for w, f in tokenizer.FREQ.items()
            if f >= PROTECTED_MIN_FREQ and MIN_WORD <= len(w) <= MAX_WORD and all(_is_han(c) for c in w)}
