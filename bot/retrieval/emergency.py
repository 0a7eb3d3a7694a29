"""Is someone in danger right now? A small neural classifier (bot/retrieval/mlp.py) over the
question's embedding and its character pairs, fitted at build time on corpus/emergency.jsonl
(urgent questions and non-urgent ones on the same topics: prevention, paperwork, things
already over) and on the ordinary questions from life as calm examples.

Which kind of danger (fire, water, gas …) is a second classifier over the same features,
fitted on the written examples' types, so the answer can put the right number first.
Fitting is numpy only: a few thousand examples, seconds.
"""
from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.corpus.referrals import Referral
from bot.retrieval.mlp import MLP, fit_mlp

HASH_BUCKETS = 2048
FOLDS = 5
# The threshold is chosen at build time on held-out folds: the lowest probability at which at
# most these shares of calm questions raise the alarm. The written calm examples are hard
# near-misses on the same topics ("防火期上山要办啥手续"), so they are allowed more; ordinary
# questions are what real traffic is made of, and a false alarm there costs trust.
MAX_FALSE_ALARMS_WRITTEN = 0.10
MAX_FALSE_ALARMS_ORDINARY = 0.005
# Short bare statements ("狗咬人了") are where calm and urgent look most alike, and one threshold
# for all would let short calm messages through more often than the cap says: each length class
# gets its own threshold, held out with the same caps (docs/experiments/emergency_short.py).
SHORT_CHARS = 12
TAIL_CHARS = 80  # longer than every urgent example in corpus/emergency.jsonl (at most 65)
# Everyday calm examples a build fits on: a fixed sample (by a hash of the text, so it is stable
# as questions are added), because each is embedded a second time, as a query. 6,000 of about
# 14,500 keep the false alarms on the everyday questions left out where all of them kept them,
# and save a fresh build about 80 seconds (docs/experiments/emergency_calm_sample.py).
MAX_EVERYDAY_EXAMPLES = 6000
# A question with an asking tail that scores at least this is read again without the tail (one more
# embedding, for about 1 % of everyday questions; docs/experiments/emergency_second_read_gate.py).
SECOND_READ_FROM = 0.1
THRESHOLD_GRID = tuple(round(0.30 + 0.025 * i, 3) for i in range(27))  # 0.30 … 0.95
REPEATS = 1  # fold splits the held-out scores are averaged over


@dataclass(frozen=True)
class EmergencyExample:
    q: str
    emergency: bool
    type: str = "other"
    ordinary: bool = False  # an everyday question from life, not a written near-miss


def load_examples(path: Path) -> list[EmergencyExample]:
    from bot.corpus.model import CorpusError, iter_jsonl

    if not path.exists():
        return []
    out = []
    for where, data in iter_jsonl(path):
        if not isinstance(data.get("q"), str) or not data["q"].strip() or not isinstance(data.get("emergency"), bool):
            raise CorpusError(f"{where}: expected {{\"q\": text, \"emergency\": true|false, \"type\": …}}")
        out.append(EmergencyExample(data["q"].strip(), data["emergency"], str(data.get("type") or "other")))
    return out


# "……归谁管 / 找谁 / 咋整" at the end of a question: people often leave it off, and a bare
# "有人在河堤上盖房子" must not read as "有人掉河里了". RESPONSIBILITY_TAILS make the everyday calm
# examples' bare forms; the second reading of a question also takes off the tails that ask whom to
# call or tell ("草原上发现火情 打什么电话"), whose bare forms are reports and must not be taught as calm.
RESPONSIBILITY_TAILS = ("归谁管|谁来管|谁管|谁负责|找谁|找哪|谁来罚|谁罚|管不管|能管不|有人管没|有没有人管|没人管吗"
                        "|咋办|咋整|怎么办")
CALLING_TAILS = "跟谁说|和谁说|告诉谁|给谁打电话|打啥电话|打什么电话|(?:举|上)?报哪|(?:举|上)?报给谁"
_BEFORE = r"[\s，,。？?！!]*(这事|这个|这种情况|这块|这)?(该|应该|到底|得|需要|(?<![需想重只主])要)?先?"
_AFTER = r"(处理|解决|反映)?[^\u4e00-\u9fff]*[呀啊呢吗嘛]?[\s？?！!。]*$"
RESPONSIBILITY_TAIL = re.compile(_BEFORE + f"({RESPONSIBILITY_TAILS})" + _AFTER)
ASKING_TAIL = re.compile(_BEFORE + f"({RESPONSIBILITY_TAILS}|{CALLING_TAILS}|咋处理|怎么处理|谁处理)" + _AFTER)


# "要是有人掉冰窟窿里 网格员第一步该干啥": a question that opens with "if" asks what to do should it
# happen (training, prevention), not for help now; the model, which reads the words of the danger,
# raised the alarm for it. Not "要是再不来人…" or a message that also cries for help, which a
# frightened person may open that way.
HYPOTHETICAL = re.compile(r"^[\s，,。！!？?]*(?:(?:那个|嗯|啊|喂|你好|您好|请问|问一下|问下|我想问)[\s，,。]*)*"
                          r"(?:要是|如果|假如|假设|假若|倘若|若是|一旦)(?!再|还不|不)")
CRY_FOR_HELP = re.compile(r"快来|救命|快点|赶紧|赶快|来人")


def is_hypothetical(text: str) -> bool:
    """Whether the question asks what to do should a danger happen ("要是…咋办"), not about one now."""
    return bool(HYPOTHETICAL.search(text)) and not CRY_FOR_HELP.search(text)


def bare_statement(question: str, tail: re.Pattern = ASKING_TAIL) -> str | None:
    """The question without its asking tail, when it has one and something is left."""
    bare = tail.sub("", question).strip()
    return bare if bare != question and len(bare) >= 4 else None


URGENT_NUMBERS = frozenset({"110", "119", "120", "122", "12119"})  # a referral to these is an emergency service


def ordinary_calm_examples(questions: list[str], referrals: list[Referral],
                           written: Sequence[EmergencyExample] = (),
                           limit: int | None = MAX_EVERYDAY_EXAMPLES) -> list[EmergencyExample]:
    """Calm examples besides the written pairs: every example question of the list (from life and
    in the list's own wording) and of the referrals that are not emergency services, each also
    without its "归谁管" tail, so everyday questions and bare statements do not raise alarms.
    An example question that is also a written example keeps its written label: "后山着火了 找谁"
    is an item's example question and, asked now, an emergency. At most `limit` of them, the
    same ones whatever order the questions come in."""
    labelled = {e.q for e in written}
    texts = list(questions)
    texts += [q for r in referrals if not set(r.numbers) & URGENT_NUMBERS for q in r.questions]
    texts = [t for t in texts if t not in labelled]
    texts += [bare for t in texts if (bare := bare_statement(t, RESPONSIBILITY_TAIL)) and bare not in labelled]
    unique = sorted(dict.fromkeys(texts), key=lambda t: (zlib.crc32(t.encode("utf-8")), t))
    return [EmergencyExample(q, False, ordinary=True) for q in unique[:limit]]


def char_features(texts: list[str]) -> np.ndarray:
    """Hashed character pairs (and single characters), L2-normalised: 着火 vs 防火 is in the pairs."""
    out = np.zeros((len(texts), HASH_BUCKETS), dtype=np.float32)
    for row, text in enumerate(texts):
        grams = list(text) + [text[i:i + 2] for i in range(len(text) - 1)]
        for g in grams:
            out[row, zlib.crc32(g.encode("utf-8")) % HASH_BUCKETS] += 1.0
        norm = np.linalg.norm(out[row])
        if norm:
            out[row] /= norm
    return out


def _features(vectors: np.ndarray, texts: list[str]) -> np.ndarray:
    return np.hstack([vectors, char_features(texts)])


def is_short(text: str) -> bool:
    """Which of the two thresholds a message is held to."""
    return len(text) <= SHORT_CHARS


def _lowest_within_caps(written: np.ndarray, everyday: np.ndarray) -> float:
    for threshold in THRESHOLD_GRID:
        if ((written.size == 0 or np.mean(written >= threshold) <= MAX_FALSE_ALARMS_WRITTEN)
                and (everyday.size == 0 or np.mean(everyday >= threshold) <= MAX_FALSE_ALARMS_ORDINARY)):
            return threshold
    return THRESHOLD_GRID[-1]


def held_out_thresholds(x: np.ndarray, y: np.ndarray, ordinary: np.ndarray, short: np.ndarray,
                        repeats: int | None = None) -> tuple[float, float]:
    """(long, short): per length class, the lowest grid threshold whose out-of-fold false-alarm
    rates on that class's calm questions stay within the caps. With `repeats` > 1 each example's
    out-of-fold score is the mean over that many different fold splits."""
    repeats = REPEATS if repeats is None else repeats
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, not {repeats}")
    scores = np.zeros(len(y))
    for r in range(repeats):
        folds = (np.arange(len(y)) if r == 0 else np.random.default_rng(r).permutation(len(y))) % FOLDS
        for k in range(FOLDS):
            train, test = folds != k, folds == k
            if len(set(y[train])) < 2:
                return 0.5, 0.5  # too few examples to hold any out
            scores[test] += fit_mlp(x[train], y[train].astype(int), 2, seed=r).probabilities(x[test])[:, 1] / repeats
    calm = y == 0
    longer, brief = calm & ~short, calm & short
    return (_lowest_within_caps(scores[longer & ~ordinary], scores[longer & ordinary]),
            _lowest_within_caps(scores[brief & ~ordinary], scores[brief & ordinary]))


@dataclass
class EmergencyModel:
    detector: MLP  # classes: calm, urgent
    kind_model: MLP | None  # classes: self.kinds (None when the examples have one kind)
    kinds: list[str]
    thresholds: tuple[float, float] = (0.5, 0.5)  # (longer messages, short ones)

    @classmethod
    def fit(cls, examples: list[EmergencyExample], vectors: np.ndarray) -> EmergencyModel:
        x = _features(vectors, [e.q for e in examples])
        y = np.array([e.emergency for e in examples], dtype=int)
        ordinary = np.array([e.ordinary for e in examples], dtype=bool)
        detector = fit_mlp(x, y, 2)
        # The kind is learnt from every written example, urgent or calm: "防火期上山" and
        # "后山冒烟了" share their topic, which is what the kind is about.
        written = [i for i, e in enumerate(examples) if not e.ordinary]
        kinds = sorted({examples[i].type for i in written}) or ["other"]
        kind_model = None
        if len(kinds) > 1:
            kind_model = fit_mlp(x[written], np.array([kinds.index(examples[i].type) for i in written]), len(kinds))
        short = np.array([is_short(e.q) for e in examples], dtype=bool)
        return cls(detector, kind_model, kinds, held_out_thresholds(x, y, ordinary, short))

    def threshold(self, text: str) -> float:
        return self.thresholds[is_short(text)]

    def probability(self, qvec: np.ndarray, text: str) -> float:
        return self._urgency(_features(qvec.reshape(1, -1), [text]))

    def detect(self, qvec: np.ndarray, text: str, embed: Callable[[str], np.ndarray] | None = None) -> str | None:
        """The kind of danger ("forest_fire", "gas", …) when the question is urgent, else None (see read)."""
        return self.read(qvec, text, embed)[0]

    def read(self, qvec: np.ndarray, text: str,
             embed: Callable[[str], np.ndarray] | None = None) -> tuple[str | None, float]:
        """The kind of danger ("forest_fire", "gas", …) when the question is urgent, else None; and
        the urgency of the question as written.

        A long message must also sound urgent at its end, where a voice message puts its
        question: a story of everyday life ("张大爷八十三了，一个人过…高龄津贴咋还没发") should
        not raise the alarm because its background reads like a missing old man.

        A question ending "……这归谁管" is also read without that tail when it sounds at all urgent:
        thousands of calm everyday questions end that way, so the tail alone pulls "后山冒烟了
        这归谁管" below the threshold (docs/experiments/emergency_asking_tails.py, variant D).
        """
        if is_hypothetical(text):  # before _detect, which may embed a long message's end for nothing
            return None, self.probability(qvec, text)
        kind, urgency = self._detect(qvec, text, embed)
        # Only a reading that sounded too calm is retried: one the long-message check turned
        # down (urgent background, calm ask) must not come back through its shorter bare form.
        if kind is not None or embed is None or not SECOND_READ_FROM <= urgency < self.threshold(text):
            return kind, urgency
        bare = bare_statement(text)
        return (self._detect(embed(bare), bare, embed)[0] if bare else None), urgency

    def _detect(self, qvec: np.ndarray, text: str,
                embed: Callable[[str], np.ndarray] | None) -> tuple[str | None, float]:
        row = _features(qvec.reshape(1, -1), [text])
        urgency = self._urgency(row)
        if urgency < self.threshold(text):
            return None, urgency
        if embed is not None and len(text) > TAIL_CHARS:
            tail = text[-TAIL_CHARS:]
            if self.probability(embed(tail), tail) < self.threshold(tail):
                return None, urgency
        return self._kind(row), urgency

    def kind(self, qvec: np.ndarray, text: str) -> str:
        return self._kind(_features(qvec.reshape(1, -1), [text]))

    def _urgency(self, row: np.ndarray) -> float:
        return float(self.detector.probabilities(row)[0, 1])

    def _kind(self, row: np.ndarray) -> str:
        if self.kind_model is None:
            return self.kinds[0]
        return self.kinds[int(np.argmax(self.kind_model.probabilities(row)[0]))]

    def save(self, folder: Path) -> None:
        arrays = self.detector.arrays("detector_") | (self.kind_model.arrays("kind_") if self.kind_model else {})
        arrays["threshold"] = np.array(self.thresholds)
        np.savez(folder / "emergency.npz", allow_pickle=False, **arrays)
        (folder / "emergency_types.json").write_text(json.dumps(self.kinds), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> EmergencyModel | None:
        if not (folder / "emergency.npz").exists():
            return None
        arrays = np.load(folder / "emergency.npz")
        kinds = json.loads((folder / "emergency_types.json").read_text(encoding="utf-8"))
        kind_model = MLP.from_arrays(arrays, "kind_") if "kind_w1" in arrays.files else None
        long_, short = (float(t) for t in np.resize(arrays["threshold"], 2))  # one value: an older build
        return cls(MLP.from_arrays(arrays, "detector_"), kind_model, list(kinds), (long_, short))
