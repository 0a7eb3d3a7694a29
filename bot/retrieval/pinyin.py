"""Typo repair by sound: 底保 -> 低保, 申情 -> 申请, 高领津贴 -> 高龄津贴, 彩伐证 -> 采伐证.

Phone input (pinyin keyboards, voice) turns words into same-sounding wrong characters. A
word of the question that is not in the index's vocabulary but sounds like one that is
(tones ignored) and shares a character with it is replaced by it. The character-to-pinyin
table and the vocabulary's sounds are made at build time (pypinyin) and stored in the build,
so answering needs no pypinyin.

Two guards keep correct Chinese intact. Only words found in at least MIN_PASSAGES of the index's
passages are targets (a typo in one example question, or "我市" from one duty, is not). And a
window that is an everyday word of jieba's dictionary, or that cuts through one at either edge,
is left alone: "村口两台车" must not become "村口粮台车" by reading "口两" as 口粮.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

_HAN_FIRST, _HAN_LAST = 0x4E00, 0x9FFF
MIN_WORD, MAX_WORD = 2, 4
MIN_PASSAGES = 2
PROTECTED_MIN_FREQ = 10  # jieba dictionary frequency: about 94,000 words of 2-4 characters


def _is_han(char: str) -> bool:
    return _HAN_FIRST <= ord(char) <= _HAN_LAST


@dataclass
class PinyinTable:
    chars: dict[str, str] = field(default_factory=dict)  # 低 -> di
    words: dict[str, str] = field(default_factory=dict)  # "di bao" -> 低保 (the index's own word)
    protected: frozenset[str] = frozenset()  # everyday words never rewritten or cut through

    made_with: str = ""  # the pypinyin and jieba versions the chars and the protected words came from

    @classmethod
    def build(cls, vocabulary: dict[str, int], protected: set[str] | None = None,
              previous: PinyinTable | None = None) -> PinyinTable:
        """From the index's words and their passage counts (the commoner word wins a shared sound)
        and the everyday words to protect (default: jieba's dictionary). The sounds of all
        characters and the everyday words depend only on the libraries: taken from `previous`
        (the live build's table) when it was made with the same versions."""
        made_with = _library_versions()
        if previous is not None and previous.made_with == made_with and previous.chars and protected is None:
            table = cls(previous.chars, protected=previous.protected, made_with=made_with)
        else:
            table = cls(_char_sounds(), made_with=made_with,
                        protected=frozenset(everyday_words() if protected is None else protected))
        best: dict[str, tuple[int, str]] = {}
        for word, count in vocabulary.items():
            if count >= MIN_PASSAGES and MIN_WORD <= len(word) <= MAX_WORD and all(_is_han(c) for c in word):
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
                if window in self.protected or text[max(0, i - 1):i + 1] in self.protected \
                        or text[i + n - 1:i + n + 1] in self.protected:
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
        data = {"chars": self.chars, "words": self.words, "protected": sorted(self.protected),
                "made_with": self.made_with}
        (folder / "pinyin.json").write_text(json.dumps(data, ensure_ascii=False, sort_keys=True), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> PinyinTable:
        data = json.loads((folder / "pinyin.json").read_text(encoding="utf-8"))
        return cls(dict(data["chars"]), dict(data["words"]), frozenset(data.get("protected", ())),
                   str(data.get("made_with", "")))


def _library_versions() -> str:
    import jieba
    import pypinyin

    return f"pypinyin {pypinyin.__version__}, jieba {jieba.__version__}"


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
