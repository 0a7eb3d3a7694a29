"""Question -> closest duty items, and what kind of answer it gets.

Flow: prepare the question (clean once; the question part of a long message) -> repair
sound-alike typos -> dense search over all passages (FAISS) + BM25 over items and referrals ->
fuse per item -> is someone in danger now? -> one decision: list item, referral or nothing (also
weighing how close the question is to questions known to be off the list) ->
describe each match (the passage and department that matched).
"""
from __future__ import annotations

import builtins
from dataclasses import dataclass, field, replace

import faiss
import numpy as np

from bot.corpus.model import Duty
from bot.corpus.referrals import Referral
from bot.retrieval.asks import split_asks
from bot.retrieval.decision import NEVER, features
from bot.retrieval.embedders import Embedder
from bot.retrieval.emergency import SECOND_READ_FROM
from bot.retrieval.lexical import LexicalIndex
from bot.retrieval.passages import Passage
from bot.retrieval.question import ASK_FROM, prepare
from bot.retrieval.store import LoadedIndex


@dataclass(frozen=True)
class SearchConfig:
    # Fusion: dense cosine (max over an item's passages) plus a share of normalised BM25.
    # Chosen on dev, life-dev and held-out corpus life questions (docs/experiments/fusion_sweep.py,
    # docs/evaluation.md); the example questions carry most spoken wording, so the share is small.
    lexical_weight: float = 0.025
    # Official terms the synonym table adds count a quarter of the user's own words in
    # BM25; the dense side sees the question as typed (e5 knows spoken words).
    synonym_weight: float = 0.25
    dense_depth: int = 400  # passages fetched from FAISS per question
    # Ranking adds this share of an item's second-best passage to its best (sweep in docs/evaluation.md).
    second_weight: float = 0.6
    # Long messages: the question part of at most this many characters is searched.
    max_chars: int = 500  # the MAX_QUESTION_CHARS setting
    # Sound-alike typo repair (pinyin.py); off only to measure what it is worth.
    repair_typos: bool = True
    # Several matters in one message ("停电了 还有自来水也不来"): an ask split off the message
    # is answered on its own only when the decision is this sure of it (list: P(list);
    # referral: P(the referral is right)); docs/experiments/multi_matter.py, docs/evaluation.md.
    split_asks: bool = True
    ask_min_confidence: float = 0.8
    ask_min_referral: float = 0.8
    ask_among_nearest: bool = True  # an ask's answer must be among the whole message's nearest
    ask_alarm: float = 0.98  # an ask's own urgency that raises the alarm whatever the whole's
    # An ask of its own that the decision is not sure enough of is named in the reply ("send it
    # alone") instead of dropped without a word.
    ask_note_unsure: bool = True
    # An unsure ask whose answer the whole message gives too is sure enough beside another, sure
    # ask: both are answered (the whole alone would drop the sure one).
    ask_whole_confirms: bool = True
    # A long message whose whole reading is unsure is answered by its ask where the ask alone is
    # sure and its answer is among the whole's nearest (two readings agree on the candidates).
    sure_ask_decides: bool = True


# How much closer a department's own section must come than the item's other texts to lead the answer
# (on dev and life-dev the two questions where a section led were 0.006 and 0.014 closer).
DEPARTMENT_LEAD_MARGIN = 0.005


@dataclass
class Match:
    id: str
    score: float
    list: str
    category: str
    title: str
    departments: builtins.list[str]
    matched: str
    matched_kind: str
    # The department section closest to the question (multi-department items), and
    # whether that section is what matched best overall (then it leads the answer).
    matched_department: str = ""
    penalty: bool = False  # the question matched one of the item's penalty clauses
    department_led: bool = False
    town_points: builtins.list[str] = field(default_factory=builtins.list)
    duty: Duty | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, duty: Duty, score: float = 0.0) -> Match:
        """An item shown without a question to relate it to (its title is what "matched")."""
        return cls(id=duty.id, score=score, list=duty.list, category=duty.category, title=duty.display_title,
                   departments=list(duty.departments), matched=duty.display_title, matched_kind="title",
                   town_points=duty.town_duties[:2] if duty.list == "coop" else [], duty=duty)

    @property
    def lead_department(self) -> str:
        """The department named first for this match: the matched section where it led, else none."""
        return self.matched_department if self.department_led else ""

    def to_json(self) -> dict:
        return {
            "id": self.id, "score": round(float(self.score), 4), "list": self.list, "title": self.title,
            "departments": self.departments, "matched": self.matched,
        }


@dataclass
class SearchResult:
    query: str  # as asked
    text: str  # what was searched
    kind: str  # "list" | "referral" | "none" | "empty"
    matches: list[Match]
    # Why nothing could be searched ("empty") or that only a part was used ("truncated").
    note: str = ""
    referral: Referral | None = None
    emergency: str | None = None  # kind of danger now ("forest_fire", "gas", …), see emergency.py
    features: dict[str, float] = field(default_factory=dict)  # what the decision saw
    closest_referral: Referral | None = None  # the best referral, whatever the decision
    confidence: float = 0.0  # the decision's probability that the best item answers
    urgency: float = 0.0  # the emergency model's probability that this is danger now
    # The other matters of a message that raises several, each answered on its own (asks.py).
    others: list[SearchResult] = field(default_factory=list)
    # What the question comes nearest to: the matters (or items) of its closest items and its
    # closest referrals, as Searcher._answer_key names them.
    nearest: tuple[str, ...] = ()
    # Asks of a message that raises several matters that seem to be matters of their own but that
    # the decision was not sure enough of to answer apart: the reply names them, to be asked alone.
    unsure_asks: list[str] = field(default_factory=list)

    @property
    def answered(self) -> bool:
        return self.kind == "list"


TOP_PASSAGES = 10  # the closest passages the decision looks at (how many agree on the best item)

NEAREST_ITEMS = 5  # SearchResult.nearest: this many closest items and
NEAREST_REFERRALS = 3  # this many closest referrals


def _referral_key(referral_id: str) -> str:
    """A referral as an answer key (items are keyed by their id or matter: Searcher._item_key)."""
    return f"referral:{referral_id}"


class Searcher:
    def __init__(self, index: LoadedIndex, embedder: Embedder, config: SearchConfig | None = None) -> None:
        self.index = index
        self.embedder = embedder
        self.config = config or SearchConfig()
        self.duties = index.duties
        self.referrals = index.referrals
        self.position = {t: i for i, t in enumerate(index.targets)}
        self.n_items = len(self.duties)
        self.passage_target = np.array([self.position[p.item_id] for p in index.passages], dtype=np.int64)
        self.target_passages: list[list[int]] = [[] for _ in self.position]
        for pid, target in enumerate(self.passage_target):
            self.target_passages[target].append(pid)
        # What a match is described with: the list's own texts, not its example questions (an
        # item has dozens of those); the questions only when it has nothing else.
        self.target_own_passages = [[p for p in pids if index.passages[p].kind != "question"] or pids
                                    for pids in self.target_passages]
        self.lexical = LexicalIndex(index.lexical, index.synonyms, self.config.synonym_weight)
        self.matter_of = {item: f"matter:{m.name}" for m in index.matters for item in m.items}
        self.corpus_problem = ""  # set by opening.py when the corpus failed to build and an older build serves

    # -- scoring -------------------------------------------------------------
    def dense_target_scores(self, qvec: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per item and referral: the best passage cosine, and the ranking score, which adds a share
        of the second-best passage (several paraphrases agreeing is evidence a single lucky match
        is not). Also the targets of the closest passages, best first. Targets with no passage in
        the fetched depth get the floor."""
        depth = min(self.config.dense_depth, self.index.faiss_index.ntotal)
        # One query is quicker on one thread, and faiss's OpenMP threads, spinning after a search,
        # took the two cores the embedding model needs: the answer path took 3x the embedding call,
        # now 1.5x (docs/benchmark.md). The setting is the calling thread's own and stays: a script
        # that searches and then builds a large HNSW index in the same thread builds it on one thread.
        faiss.omp_set_num_threads(1)
        scores, ids = self.index.faiss_index.search(qvec.reshape(1, -1), depth)
        keep = ids[0] >= 0
        scores, targets = scores[0][keep], self.passage_target[ids[0][keep]]
        floor = float(scores.min()) if len(scores) else 0.0
        best = np.full(len(self.position), floor, dtype=np.float32)
        second = best.copy()
        _, first = np.unique(targets, return_index=True)  # FAISS returns passages best first
        best[targets[first]] = scores[first]
        rest = np.ones(len(targets), dtype=bool)
        rest[first] = False
        _, again = np.unique(targets[rest], return_index=True)
        second[targets[rest][again]] = scores[rest][again]
        return best, best + self.config.second_weight * (second - floor), targets[:TOP_PASSAGES], scores[:TOP_PASSAGES]

    def fuse(self, dense: np.ndarray, lexical: np.ndarray) -> np.ndarray:
        top = float(lexical.max()) if lexical.size else 0.0
        lex_norm = lexical / top if top > 0 else lexical
        return dense + self.config.lexical_weight * lex_norm

    # -- describing a match ----------------------------------------------------
    def _passage_scores(self, target: int, qvec: np.ndarray) -> list[tuple[float, Passage]]:
        pids = self.target_own_passages[target]
        sims = self.index.faiss_index.reconstruct_batch(np.asarray(pids, dtype=np.int64)) @ qvec
        return sorted(((float(s), self.index.passages[p]) for s, p in zip(sims, pids)), key=lambda x: -x[0])

    def describe(self, item: int, score: float, qvec: np.ndarray) -> Match:
        duty = self.duties[item]
        # Example questions only help finding; show the list's own text that matched.
        own = self._passage_scores(item, qvec)
        best_passage = own[0][1]
        dept_passages = [p for _, p in own if p.kind == "department"]
        matched_department = dept_passages[0].department if dept_passages else ""
        # Lead with a department only when its own section is clearly what the question matched;
        # "防汛抗旱镇里干啥" matches the item, not 市民政局's part of it, and "汛期快到了 村里防汛要准备啥"
        # came 0.003 closer to 市卫生健康委员会's section than to the town's duties (black-box review:
        # the health commission named as flood prevention's lead).
        other = max((s for s, p in own if p.kind != "department"), default=0.0)
        led = (best_passage.kind == "department" and len(duty.departments) > 1
               and own[0][0] - other >= DEPARTMENT_LEAD_MARGIN)
        first = matched_department if led else ""
        town_points = [
            p.text.split("：", 1)[-1] for _, p in own if p.kind == "duty"
        ][:2] if duty.list == "coop" else []
        return Match(
            id=duty.id, score=score, list=duty.list, category=duty.category, title=duty.display_title,
            departments=duty.departments_first(first),
            matched=best_passage.text, matched_kind=best_passage.kind,
            matched_department=matched_department, department_led=led, penalty=best_passage.kind == "penalty",
            town_points=town_points, duty=duty,
        )

    # -- the whole path ----------------------------------------------------------
    def search(self, question: str, top_k: int = 5) -> SearchResult:
        prepared = prepare(question, self.config.max_chars)
        if not prepared.text:
            return SearchResult(question, "", "empty", [], prepared.note)
        result = self._search_text(question, prepared.text, prepared.note, top_k)
        if prepared.ask and prepared.ask != prepared.text:
            result = self._with_ask(result, prepared.ask, top_k)
        return self._separate_matters(result, top_k) if self.config.split_asks else result

    def _separate_matters(self, whole: SearchResult, top_k: int) -> SearchResult:
        """A message that raises several matters gets an answer for each, in the message's order.

        Its asks (asks.py) are searched alone; those the decision is sure of, with different
        answers, are the answers, where each answer is also among the whole message's nearest
        (a follow-up such as "补贴标准是多少" finds, alone, an item the message is not about). A
        long story is split only where its whole answer, if it has one, is one of the asks' (its
        pieces misread it otherwise). Where the whole's answer is the first ask's, the whole's
        result leads (it read every word). Danger in the whole, or in an ask where the whole
        sounded somewhat urgent, keeps the message whole: the emergency line and its item come
        first, alone. The first answer carries the first ask as its text: that is what a vote on
        it is about."""
        if whole.emergency is not None or whole.kind == "empty":
            return whole
        long = len(whole.text) > ASK_FROM
        asks = split_asks(whole.text, long)
        if len(asks) < 2:
            return whole
        found: dict[str, SearchResult] = {}
        unsure: dict[str, SearchResult] = {}  # answer key -> the ask's reading
        # "低保咋申请 还有家里着火了 快来人": the other ask dilutes the fire below the alarm. In a short
        # message an ask's danger counts where the whole sounded somewhat urgent (as a long
        # message's ask is read) and, for an ask before the last, the message's question does not
        # sound plainly calm (_question_not_calm); or where the ask alone is all but certain of it
        # ("家里着火了 还有低保咋申请", whose whole sounds calm). A long message's ask was read already
        # (_with_ask); reading its pieces too raised false alarms (docs/evaluation.md).
        reads_danger = not long and self._reads_ask_for_danger(whole)
        alarm = self.config.ask_alarm if not long else NEVER
        readings = [self._search_text(whole.query, ask, "", top_k) for ask in asks]
        for i, result in enumerate(readings):
            if result.emergency is not None and (result.urgency >= alarm or (
                    reads_danger and self._question_not_calm(readings, i))):
                return replace(whole, emergency=result.emergency)
        for result in readings:
            result = replace(result, emergency=None)
            key = self._answer_key(result)
            if key is None or key in found or not (key in whole.nearest or not self.config.ask_among_nearest):
                continue
            if self._stands_alone(result):
                found[key] = result
            else:
                unsure.setdefault(key, result)
        whole_key = self._answer_key(whole)
        if (self.config.ask_whole_confirms and not long and found and whole_key in unsure
                and whole_key not in found):
            # "俺家地让邻居多占了两垄 咋整啊 还有孩子考上大学了…能申请啥不": the whole reads the
            # student-aid ask, which alone was unsure, and would drop the sure mediation ask.
            found[whole_key] = unsure.pop(whole_key)
            found = dict(sorted(found.items(), key=lambda entry: asks.index(entry[1].text)))
        notes = {key: result.text for key, result in unsure.items()} if self.config.ask_note_unsure else {}
        if len(found) < 2 or (long and whole_key is not None and whole_key not in found):
            # The whole answers alone. Its unsure asks are named only where that answer is an ask's
            # own (the rest of the message is then other matters, not this one's details), and not
            # in long stories.
            named = [ask for key, ask in notes.items() if key != whole_key]
            return replace(whole, unsure_asks=named) if named and whole_key in found and not long else whole
        # An ask whose answer is given by another is that matter's detail.
        named = [ask for key, ask in notes.items() if key not in found]
        (lead_key, lead), *others = found.items()
        first_ask = lead.text
        if lead_key == whole_key:
            lead = whole
        return replace(lead, query=whole.query, text=first_ask, note=whole.note, urgency=whole.urgency,
                       others=[result for _, result in others], unsure_asks=named)

    def _answer_key(self, result: SearchResult) -> str | None:
        """What an answer is about: its item's matter (or item), its referral; None for "not found"."""
        if result.kind == "list" and result.matches:
            return self._item_key(result.matches[0].id)
        if result.kind == "referral" and result.referral is not None:
            return _referral_key(result.referral.id)
        return None

    def _item_key(self, item_id: str) -> str:
        """Items of one matter are one answer."""
        return self.matter_of.get(item_id, item_id)

    def _stands_alone(self, result: SearchResult) -> bool:
        if result.kind == "list":
            return result.confidence >= self.config.ask_min_confidence
        decision = self.index.decision
        return decision.referral_probability(result.features) >= self.config.ask_min_referral

    def _with_ask(self, whole: SearchResult, ask_text: str, top_k: int) -> SearchResult:
        """A long message is answered whole: its background says what the matter is. Its ask (the
        last clauses alone) chose worse items and referrals on labelled long messages
        (docs/evaluation.md, "Long messages"); it answers only where the whole found nothing and
        its item is one of the whole's three nearest (the ask picks among the whole's own
        candidates), or where the whole is unsure and the ask sure of one of the whole's nearest
        (sure_ask_decides). It is also read for danger (_reads_ask_for_danger)."""
        reads_danger = self._reads_ask_for_danger(whole)
        if whole.kind == "none":
            ask = self._search_text(whole.query, ask_text, whole.note, top_k)
            emergency = whole.emergency or (ask.emergency if reads_danger else None)
            if ask.kind == "list" and ask.matches and ask.matches[0].id in {m.id for m in whole.matches[:3]}:
                return replace(ask, text=whole.text, emergency=emergency)
            return replace(whole, emergency=emergency)
        chosen = whole
        read: SearchResult | None = None  # the ask's own reading, where it was searched
        if self.config.sure_ask_decides and whole.emergency is None and not self._stands_alone(whole):
            # "…张大爷八十三了 一个人过 儿女都在外地打工 银行卡被冻结了 咋整": the background pulls the
            # whole towards unpaid wages (P 0.73), its ask alone is sure of the frozen card (0.98),
            # which the whole also came near.
            read = self._search_text(whole.query, ask_text, whole.note, top_k)
            key = self._answer_key(read)
            if key is not None and key != self._answer_key(whole) and key in whole.nearest \
                    and self._stands_alone(read):
                chosen = replace(read, text=whole.text, emergency=None, urgency=whole.urgency)
        if reads_danger:
            # The ask's own search read it for danger already: not embedded a second time.
            danger = read.emergency if read is not None else self._danger(ask_text)
            if danger is not None:
                return replace(chosen, emergency=danger)
        return chosen

    def _question_not_calm(self, readings: list[SearchResult], i: int) -> bool:
        """Whether an ask's danger may count for its message: it is the message's last ask (its
        question), or that question does not sound plainly calm. A voice message's background is its
        first ask, and a black-box review found "…俺们家老爷子今年八十三了 一个人在家…邻居说看他好几天
        没出门了 俺就寻思问问 高龄津贴咋还没发呢" answered as a missing person (the background alone
        0.81) while its question (0.001) was about the allowance; the long-message rule says the
        same for messages over ASK_FROM (emergency.py, TAIL_CHARS)."""
        return i == len(readings) - 1 or readings[-1].urgency >= SECOND_READ_FROM

    def _reads_ask_for_danger(self, whole: SearchResult) -> bool:
        """A danger told after a long calm background is diluted by it ("…河里有个孩子掉进去了
        快来人啊"): the ask is read for danger when the whole sounded somewhat urgent, though too
        calm to raise the alarm itself (the emergency model's own rule for a second reading; a
        whole it turned down for its calm end stays down)."""
        model = self.index.emergency
        return (whole.emergency is None and model is not None
                and SECOND_READ_FROM <= whole.urgency < model.threshold(whole.text))

    def _embed(self, text: str) -> np.ndarray:
        return self.embedder.embed_queries([text])[0]

    def _repaired(self, text: str) -> str:
        """The text with sound-alike typos repaired (pinyin.py), what gets embedded."""
        return self.index.pinyin.correct(text) if self.config.repair_typos else text

    def _danger(self, text: str) -> str | None:
        model = self.index.emergency
        return model.detect(self._embed(self._repaired(text)), text, self._embed) if model is not None else None

    def _search_text(self, question: str, text: str, note: str, top_k: int) -> SearchResult:
        repaired = self._repaired(text)
        qvec = self._embed(repaired)
        best, dense, closest, closest_scores = self.dense_target_scores(qvec)
        lexical = self.lexical.scores(text if repaired == text else f"{text} {repaired}")
        n = self.n_items
        fused = self.fuse(dense[:n], lexical[:n])
        order = np.argsort(-fused, kind="stable")
        referral_scores = dense[n:]
        best_ref = int(np.argmax(referral_scores)) if len(referral_scores) else -1
        f = features(best[:n], float(lexical[:n].max()) if n else 0.0,
                     float(best[n:][best_ref]) if best_ref >= 0 else 0.0,
                     agreement=float(np.mean(closest == order[0])) if len(closest) else 0.0,
                     referral_share=float(np.mean(closest >= n)) if len(closest) else 0.0,
                     referral_lexical=float(lexical[n:].max()) if len(lexical) > n else 0.0,
                     outside_dense=self.index.outside_vectors @ qvec if len(self.index.outside) else None,
                     closest_scores=closest_scores)
        decision = self.index.decision
        confidence = decision.probability(f)
        kind = decision.decide(f, best_ref >= 0)
        emergency, urgency = (self.index.emergency.read(qvec, text, self._embed)
                              if self.index.emergency is not None else (None, 0.0))
        matches = [self.describe(int(i), float(fused[i]), qvec) for i in order[:top_k]]
        nearest_referral = self.referrals[best_ref] if best_ref >= 0 else None
        nearest = tuple(self._item_key(self.duties[i].id) for i in order[:NEAREST_ITEMS]) + tuple(
            _referral_key(self.referrals[j].id) for j in np.argsort(-referral_scores)[:NEAREST_REFERRALS])
        return SearchResult(question, text, kind, matches, note, nearest_referral if kind == "referral" else None,
                            emergency, f, nearest_referral, confidence, urgency, nearest=nearest)

    def duty(self, item_id: str) -> Duty | None:
        pos = self.position.get(item_id)
        return self.duties[pos] if pos is not None and pos < self.n_items else None
