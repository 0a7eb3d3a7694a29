"""Typo repair by sound: 底保 -> 低保, 申情 -> 申请, 高领津贴 -> 高龄津贴, 彩伐证 -> 采伐证.

Phone input (pinyin keyboards, voice) turns words into same-sounding wrong characters. A
word of the question that is not in the index's vocabulary but sounds like one that is
(tones ignored) and shares a character with it is replaced by it. The character-to-pinyin
table and the vocabulary's sounds are made at build time (pypinyin) and stored in the build,
so answering needs no pypinyin.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

_HAN_FIRST, _HAN_LAST = 0x4E00, 0x9FFF
MIN_WORD, MAX_WORD = 2, 4


def _is_han(char: str) -> bool:
    return _HAN_FIRST <= ord(char) <= _HAN_LAST


@dataclass
class PinyinTable:
    chars: dict[str, str] = field(default_factory=dict)  # 低 -> di
    words: dict[str, str] = field(default_factory=dict)  # "di bao" -> 低保 (the index's own word)

    @classmethod
    def build(cls, vocabulary: dict[str, int]) -> PinyinTable:
        """From the index's words and their document counts (the commoner word wins a shared sound)."""
        from pypinyin import Style, lazy_pinyin

        chars = {}
        for code in range(_HAN_FIRST, _HAN_LAST + 1):
            char = chr(code)
            sound = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
            if sound and sound[0]:
                chars[char] = sound[0]
        table = cls(chars)
        best: dict[str, tuple[int, str]] = {}
        for word, count in vocabulary.items():
            if MIN_WORD <= len(word) <= MAX_WORD and all(_is_han(c) for c in word):
                key = table.key(word)
                if key and (key not in best or (count, word) > best[key]):
                    best[key] = (count, word)
        table.words = {k: w for k, (_, w) in sorted(best.items())}
        return table

    def key(self, text: str) -> str | None:
        sounds = [self.chars.get(c) for c in text]
        return None if any(s is None for s in sounds) else " ".join(s for s in sounds if s)

    def correct(self, text: str) -> str:
        """The text with sound-alike typos of the index's words replaced (unchanged when none)."""
        if not self.words:
            return text
        known = set(self.words.values())
        out, i = [], 0
        while i < len(text):
            replaced = False
            for n in range(MAX_WORD, MIN_WORD - 1, -1):
                window = text[i:i + n]
                if len(window) < n or window in known or not all(_is_han(c) for c in window):
                    continue
                key = self.key(window)
                word = self.words.get(key) if key else None
                # Sharing a character keeps "sounds alike" from rewriting unrelated words.
                if word and word != window and sum(a == b for a, b in zip(word, window)) >= max(1, n // 2):
                    out.append(word)
                    i += n
                    replaced = True
                    break
            if not replaced:
                out.append(text[i])
                i += 1
        return "".join(out)

    def save(self, folder: Path) -> None:
        (folder / "pinyin.json").write_text(json.dumps({"chars": self.chars, "words": self.words},
                                                       ensure_ascii=False, sort_keys=True), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> PinyinTable:
        data = json.loads((folder / "pinyin.json").read_text(encoding="utf-8"))
        return cls(dict(data["chars"]), dict(data["words"]))
