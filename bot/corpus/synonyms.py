"""corpus/synonyms.tsv: spoken or abbreviated terms -> the list's own wording (新农合 -> 城乡居民医疗保险)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.corpus.model import CorpusError, read_text


@dataclass(frozen=True)
class SynonymTable:
    pairs: tuple[tuple[str, str], ...] = ()  # (variant, official), longest variants first
    # Derived from pairs: the positions of the pairs whose variant starts with each character.
    _by_first: dict[str, list[int]] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def load(cls, path: Path) -> SynonymTable:
        """Read `official<TAB>variant1,variant2,…` lines (`#` comments); a missing file is an empty table."""
        if not path.exists():
            return cls()
        pairs = []
        for lineno, line in enumerate(read_text(path).splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            canonical, tab, variants = line.partition("\t")
            if not tab or not canonical.strip():
                raise CorpusError(f"{path}:{lineno}: expected an official term, a tab and its variants")
            for variant in variants.replace("，", ",").split(","):
                if variant.strip():
                    pairs.append((variant.strip(), canonical.strip()))
        # Longest variants first so "五保户" wins over "五保".
        pairs.sort(key=lambda p: (-len(p[0]), p))
        return cls(tuple(pairs))

    def __post_init__(self) -> None:
        # Pairs by the first character of the variant: a question is checked only against the
        # variants that can start in it (every pair took half a millisecond a question).
        for i, (variant, _) in enumerate(self.pairs):
            self._by_first.setdefault(variant[0], []).append(i)

    def official_terms(self, text: str) -> list[str]:
        """The list's own terms for the spoken variants found in text."""
        candidates = sorted(i for c in set(text) for i in self._by_first.get(c, ()))
        extra: list[str] = []
        for variant, canonical in (self.pairs[i] for i in candidates):
            if variant in text and canonical not in text and canonical not in extra:
                extra.append(canonical)
        return extra

    def words(self) -> set[str]:
        return {w for pair in self.pairs for w in pair}
