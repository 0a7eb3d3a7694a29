"""Question -> closest duty items.

Flow: clean the question -> expand spoken terms -> dense search over all passages
(FAISS) + BM25 over items -> fuse per item -> decide answered / not in the list ->
describe each match (department that matched, the town's role, the passage).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np

from bot.corpus.model import Duty
from bot.retrieval.embedders import Embedder
from bot.retrieval.lexical import LexicalIndex, SynonymTable
from bot.retrieval.passages import Passage
from bot.retrieval.store import LoadedIndex


@dataclass(frozen=True)
class SearchConfig:
    # Fusion: dense cosine (max over an item's passages) plus a share of normalised BM25.
    # Chosen by scripts/evaluate.py on the dev set (docs/evaluation.md); the example
    # questions already carry most spoken wording, so the lexical share stays small.
    lexical_weight: float = 0.05
    # Official terms the synonym table adds count a quarter of the user's own words in
    # BM25; the dense side sees the question as typed (e5 knows spoken words).
    synonym_weight: float = 0.25
    dense_depth: int = 400  # passages fetched from FAISS per question
    # Not-in-the-list decision: confidence = best dense cosine + a bonus for lexical
    # evidence (BM25 of the best lexical item, capped). Dense scores of in-scope and
    # out-of-scope questions overlap; words shared with the list separate them better.
    # Calibrated for the default model on the dev set (docs/evaluation.md).
    lexical_bonus: float = 0.02
    lexical_cap: float = 10.0
    min_confidence: float = 0.9175
    max_chars: int = 200


@dataclass
class Match:
    id: str
    score: float
    list: str
    category: str
    title: str
    departments: list[str]
    town_role: str
    matched: str
    matched_kind: str
    # The department section closest to the question (multi-department items), and
    # whether that section is what matched best overall (then it leads the answer).
    matched_department: str = ""
    department_led: bool = False
    town_points: list[str] = field(default_factory=list)
    duty: Duty | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict:
        return {
            "id": self.id, "score": round(float(self.score), 4), "list": self.list, "title": self.title,
            "departments": self.departments, "town_role": self.town_role, "matched": self.matched,
        }


@dataclass
class SearchResult:
    query: str
    answered: bool
    matches: list[Match]
    # Why nothing could be searched ("empty") or that only a prefix was used ("truncated").
    note: str = ""

    def to_json(self) -> dict:
        return {"query": self.query, "answered": self.answered, "matches": [m.to_json() for m in self.matches]}


_MEANINGFUL = re.compile(r"[\u3400-\u9fffA-Za-z0-9]")


def clean_question(text: str, max_chars: int) -> tuple[str, str]:
    """Normalise width and spaces; cut very long text. Returns (text, note)."""
    text = unicodedata.normalize("NFKC", text or "")
    text = re.sub(r"\s+", " ", text).strip()
    if not _MEANINGFUL.search(text):
        return "", "empty"
    if len(text) > max_chars:
        return text[:max_chars], "truncated"
    return text, ""


def town_role(duty: Duty, department_first: str = "", penalty: bool = False) -> str:
    """The township's part in one phrase a village cadre understands."""
    if duty.list == "basic":
        return "本镇负责（本镇行政处罚）" if penalty else "本镇负责"
    if duty.list == "returned":
        if duty.discontinued:
            return "该事项已停止办理"
        return f"已由{'、'.join(duty.departments)}承接、本镇不再负责"
    depts = ordered_departments(duty, department_first)
    if len(depts) <= 2:
        return f"{'、'.join(depts)}牵头、本镇配合"
    return f"{depts[0]}等{len(depts)}个部门牵头、本镇配合"


def ordered_departments(duty: Duty, first: str) -> list[str]:
    firsts = [d for d in first.split("、") if d in duty.departments]
    return firsts + [d for d in duty.departments if d not in firsts]


class Searcher:
    def __init__(self, index: LoadedIndex, embedder: Embedder, synonyms: SynonymTable,
                 config: SearchConfig | None = None) -> None:
        self.index = index
        self.embedder = embedder
        self.config = config or SearchConfig()
        self.duties = index.duties
        self.position = {d.id: i for i, d in enumerate(self.duties)}
        self.passage_item = np.array([self.position[p.item_id] for p in index.passages], dtype=np.int64)
        self.item_passages: list[list[int]] = [[] for _ in self.duties]
        for pid, item in enumerate(self.passage_item):
            self.item_passages[item].append(pid)
        documents = [" ".join(index.passages[pid].text for pid in pids) for pids in self.item_passages]
        self.lexical = LexicalIndex([d.id for d in self.duties], documents, synonyms, self.config.synonym_weight)

    @property
    def synonyms(self) -> SynonymTable:
        return self.lexical.synonyms  # only the lexical side uses them

    # -- scoring -------------------------------------------------------------
    def dense_item_scores(self, qvec: np.ndarray) -> np.ndarray:
        """Best passage cosine per item; items with no passage in the fetched depth get the floor."""
        depth = min(self.config.dense_depth, self.index.faiss_index.ntotal)
        scores, ids = self.index.faiss_index.search(qvec.reshape(1, -1), depth)
        scores, ids = scores[0], ids[0]
        keep = ids >= 0
        floor = float(scores[keep].min()) if keep.any() else 0.0
        item_scores = np.full(len(self.duties), floor, dtype=np.float32)
        np.maximum.at(item_scores, self.passage_item[ids[keep]], scores[keep])
        return item_scores

    def fuse(self, dense: np.ndarray, lexical: np.ndarray) -> np.ndarray:
        top = float(lexical.max()) if lexical.size else 0.0
        lex_norm = lexical / top if top > 0 else lexical
        return dense + self.config.lexical_weight * lex_norm

    def confidence(self, dense: np.ndarray, lexical: np.ndarray) -> float:
        lexical_evidence = min(float(lexical.max()) if lexical.size else 0.0, self.config.lexical_cap)
        return float(dense.max()) + self.config.lexical_bonus * lexical_evidence / self.config.lexical_cap

    # -- describing a match ----------------------------------------------------
    def _passage_scores(self, item: int, qvec: np.ndarray) -> list[tuple[float, Passage]]:
        pids = self.item_passages[item]
        vecs = np.vstack([self.index.faiss_index.reconstruct(int(p)) for p in pids])
        sims = vecs @ qvec
        return sorted(((float(s), self.index.passages[p]) for s, p in zip(sims, pids)), key=lambda x: -x[0])

    def describe(self, item: int, score: float, qvec: np.ndarray) -> Match:
        duty = self.duties[item]
        ranked = self._passage_scores(item, qvec)
        # Example questions only help finding; show the list's own text that matched.
        own = [(s, p) for s, p in ranked if p.kind != "question"] or ranked
        best_passage = own[0][1]
        dept_passages = [p for _, p in own if p.kind == "department"]
        matched_department = dept_passages[0].department if dept_passages else ""
        # Lead with a department only when its own section is what the question matched;
        # "防汛抗旱镇里干啥" matches the item, not 市民政局's part of it.
        led = best_passage.kind == "department" and len(duty.departments) > 1
        first = matched_department if led else ""
        penalty = best_passage.kind == "penalty"
        town_points = [
            p.text.split("：", 1)[-1] for _, p in own if p.kind == "duty"
        ][:2] if duty.list == "coop" else []
        return Match(
            id=duty.id, score=score, list=duty.list, category=duty.category, title=duty.display_title,
            departments=ordered_departments(duty, first),
            town_role=town_role(duty, first, penalty),
            matched=best_passage.text, matched_kind=best_passage.kind,
            matched_department=matched_department, department_led=led, town_points=town_points, duty=duty,
        )

    # -- the whole path ----------------------------------------------------------
    def search(self, question: str, top_k: int = 5) -> SearchResult:
        text, note = clean_question(question, self.config.max_chars)
        if not text:
            return SearchResult(question, False, [], note)
        qvec = self.embedder.embed_queries([text])[0]
        dense = self.dense_item_scores(qvec)
        lexical, _ = self.lexical.scores(text)
        fused = self.fuse(dense, lexical)
        order = np.argsort(-fused, kind="stable")
        answered = self.confidence(dense, lexical) >= self.config.min_confidence
        matches = [self.describe(int(i), float(fused[i]), qvec) for i in order[:top_k]]
        return SearchResult(question, answered, matches, note)

    def duty(self, item_id: str) -> Duty | None:
        pos = self.position.get(item_id)
        return self.duties[pos] if pos is not None else None
