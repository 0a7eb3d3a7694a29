"""Build, store and load the search index under `index/`.

Layout: `index/builds/<stamp>/` holds one complete build: everything answering reads
(meta.json, the corpus files it was built from, passages.jsonl, vectors.npy, dense.faiss,
the lexical index, the pinyin table and the emergency model), and what the next build reuses
(the passages' vectors and jieba tokens, the fitted emergency model). `index/current` is a symlink
to the live build. A rebuild writes a new folder and swaps the symlink with one atomic
rename, so a running bot never sees half an index and a failed build leaves the old one.
Loading reads arrays and JSON only: nothing is tokenised or fitted at start-up.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
import zipfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import faiss
import numpy as np
from tqdm import tqdm

from bot.corpus.matters import Matter, load_matters
from bot.corpus.model import CorpusError, Duty, file_hash, iter_jsonl, load_duties
from bot.corpus.outside import OutsideQuestion, load_outside
from bot.corpus.questions import ExampleQuestion, load_questions
from bot.corpus.referrals import Referral, load_referrals
from bot.corpus.short_names import load_short_names
from bot.corpus.synonyms import SynonymTable
from bot.retrieval.decision import DecisionModel
from bot.retrieval.embedders import Embedder
from bot.retrieval.emergency import EmergencyExample, EmergencyModel, load_examples, ordinary_calm_examples
from bot.retrieval.lexical import LexicalIndex, LexicalState, TokenCache, build_lexical
from bot.retrieval.passages import Passage, build_passages
from bot.retrieval.pinyin import PinyinTable
from bot.settings import Settings

FORMAT = 5  # 3: the emergency detector and its kind are small neural classifiers; 4: the typo table's spellings;
# 5: its character pairs (how well a repair fits its neighbours)
VECTORS_SINCE = 3  # the oldest format whose vectors a build reuses (they depend on the model and text only)
# Corpus files a build copies and answers from (besides duties.jsonl); missing ones are optional.
CORPUS_FILES = ("questions.jsonl", "synonyms.tsv", "referrals.jsonl", "matters.jsonl", "short_names.tsv",
                "emergency.jsonl", "decision.json", "out_of_list.jsonl")
BATCH = 64
EMERGENCY_KEY_FILE = "emergency.key"
OUTSIDE_VECTORS = "outside_vectors.npy"  # passage vectors of out_of_list.jsonl, row by row
# Above this many vectors an exact scan gets slow; HNSW keeps question latency flat.
HNSW_THRESHOLD = 200_000
KEEP_BUILDS = 3  # the live build and two to fall back on
STALE_TMP_SECONDS = 3600
TYPO_TARGET_KINDS = ("title", "duty", "department", "penalty", "referral")  # passages in the list's own words


log = logging.getLogger(__name__)


class IndexUnavailable(RuntimeError):
    """No usable index; the message tells the admin what to run."""


@dataclass
class IndexMeta:
    format: int
    model: str
    dim: int
    corpus_hash: str
    built_at: str
    items: int
    passages: int
    counts: dict[str, int] = field(default_factory=dict)
    faiss_index: str = "IndexFlatIP"
    build_id: str = ""


@dataclass
class BuildReport:
    meta: IndexMeta
    path: Path
    embedded: int  # texts embedded now (passages and off-list questions; a repeated text once)
    reused: int  # the other texts: their vectors came from the live build or a repeat
    seconds: float
    outside: int = 0  # off-list questions (out_of_list.jsonl) embedded besides the passages

    def summary(self) -> str:
        m = self.meta
        kinds = ", ".join(f"{k} {v}" for k, v in m.counts.items())
        return (
            f"index built in {self.seconds:.1f} s: {m.items} items, {m.passages} passages ({kinds}), "
            f"{self.outside} off-list questions; "
            f"embedded {self.embedded}, reused {self.reused}; model {m.model}, {m.dim} dims -> {self.path}"
        )


@dataclass
class LoadedIndex:
    meta: IndexMeta
    path: Path
    duties: list[Duty]
    passages: list[Passage]
    faiss_index: faiss.Index
    lexical: LexicalState
    referrals: list[Referral] = field(default_factory=list)
    synonyms: SynonymTable = field(default_factory=SynonymTable)
    pinyin: PinyinTable = field(default_factory=PinyinTable)
    emergency: EmergencyModel | None = None
    decision: DecisionModel = field(default_factory=DecisionModel)
    matters: list[Matter] = field(default_factory=list)
    shorts: dict[str, str] = field(default_factory=dict)
    # Questions no item answers (out_of_list.jsonl) and their passage vectors: the decision's
    # evidence that a question is off the list.
    outside: list[OutsideQuestion] = field(default_factory=list)
    outside_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 1), dtype=np.float32))
    # Set by load_index when this is a fallback: why the newer build(s) did not load.
    fallback_reason: str = ""

    @property
    def targets(self) -> list[str]:
        """What passages point at: the items, then the referrals."""
        return [d.id for d in self.duties] + [r.id for r in self.referrals]


def corpus_hash(settings: Settings) -> str:
    return file_hash(settings.duties_path, *(settings.corpus_dir / name for name in CORPUS_FILES))


@dataclass
class Corpus:
    """Every corpus file a build is made from, read and validated."""

    duties: list[Duty]
    questions: list
    referrals: list[Referral]
    synonyms: SynonymTable
    matters: list[Matter]
    shorts: dict[str, str]
    emergency: list
    decision: DecisionModel
    outside: list[OutsideQuestion]


def read_corpus(folder: Path) -> Corpus:
    """Read and cross-check the corpus in `folder`; any problem is a CorpusError naming file:line."""
    duties = load_duties(folder / "duties.jsonl")
    ids = {d.id for d in duties}
    referrals = load_referrals(folder / "referrals.jsonl")
    try:
        decision = DecisionModel.load(folder / "decision.json")
    except (ValueError, KeyError, TypeError) as exc:  # a reload must say so, not crash
        raise CorpusError(f"{folder / 'decision.json'}: cannot be read ({exc}); restore it, or refit with "
                          f"scripts/fit_decision.py") from None
    outside = load_outside(folder / "out_of_list.jsonl")
    if not outside and decision.needs_outside:
        # Without them the off-list features read "nothing is off the list" and nearly every
        # question would be answered with an item.
        raise CorpusError(f"{folder / 'decision.json'}: the decision weighs the off-list questions, but "
                          f"{folder / 'out_of_list.jsonl'} has none: restore it, or refit with scripts/fit_decision.py")
    questions = load_questions(folder / "questions.jsonl", ids | {r.id for r in referrals})
    _check_not_both(folder, questions, outside)
    return Corpus(
        duties=duties,
        questions=questions,
        referrals=referrals,
        synonyms=SynonymTable.load(folder / "synonyms.tsv"),
        matters=load_matters(folder / "matters.jsonl", ids),
        shorts=load_short_names(folder / "short_names.tsv", ids),
        emergency=load_examples(folder / "emergency.jsonl"),
        decision=decision,
        outside=outside,
    )


def _check_not_both(folder: Path, questions: list[ExampleQuestion], outside: list[OutsideQuestion]) -> None:
    """A question labelled with a target and also listed as off the list teaches opposite things."""
    both = {q.q.strip() for q in questions} & {o.q for o in outside}
    if not both:
        return
    where, text = next((w, d["q"].strip()) for w, d in iter_jsonl(folder / "out_of_list.jsonl")
                       if isinstance(d.get("q"), str) and d["q"].strip() in both)
    also = next(w for w, d in iter_jsonl(folder / "questions.jsonl")
                if isinstance(d.get("q"), str) and d["q"].strip() == text)
    raise CorpusError(f"{where}: this question is also a labelled example question at {also}: keep it in one "
                      f"file ({len(both)} such question(s))")


def _text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def current_path(index_dir: Path) -> Path:
    return index_dir / "current"


def read_meta(index_dir: Path) -> IndexMeta | None:
    meta_file = current_path(index_dir) / "meta.json"
    try:
        return IndexMeta(**json.loads(meta_file.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def _cached_vectors(index_dir: Path, model: str) -> dict[str, np.ndarray]:
    """Embeddings of the live build, by text ("q:" + text for query embeddings), when it used the same model."""
    meta = read_meta(index_dir)
    if meta is None or meta.model != model or not VECTORS_SINCE <= meta.format <= FORMAT:
        return {}
    build = current_path(index_dir).resolve()
    cache: dict[str, np.ndarray] = {}
    try:
        vectors = np.load(build / "vectors.npy")
        texts = [json.loads(line)["text"] for line in (build / "passages.jsonl").open(encoding="utf-8")]
        if len(texts) == len(vectors):
            cache.update({_text_key(t): v for t, v in zip(texts, vectors)})
        qvectors = np.load(build / "query_vectors.npy")
        qtexts = json.loads((build / "query_texts.json").read_text(encoding="utf-8"))
        if len(qtexts) == len(qvectors):
            cache.update({_text_key("q:" + t): v for t, v in zip(qtexts, qvectors)})
        outside = load_outside(build / "out_of_list.jsonl")
        ovectors = np.load(build / OUTSIDE_VECTORS)
        if len(outside) == len(ovectors):
            cache.update({_text_key(o.q): v for o, v in zip(outside, ovectors)})
    except (OSError, ValueError, KeyError, CorpusError):
        pass
    return cache


def typo_table(passages: list[Passage], words: LexicalIndex, previous: PinyinTable | None = None) -> PinyinTable:
    """The typo repair's table for these passages.

    Targets are the list's own terms and the referrals' names, by the number of passages that use
    them (a list term recurs, a typo of one example question does not); not every word of the
    example questions: "谁管" would be repaired to 水管, "叫不醒" to 叫不行
    (docs/experiments/typo_targets.py).
    """
    used = [(p, set(words.words_in(p.text))) for p in passages]
    own = {w for p, found in used if p.kind in TYPO_TARGET_KINDS for w in found}
    return PinyinTable.build(Counter(w for _, found in used for w in found if w in own), previous=previous,
                             texts=[p.text for p in passages])


def _cached_tokens(index_dir: Path) -> TokenCache:
    """The live build's passage tokens (empty without a live build): a rebuild tokenises what changed."""
    return TokenCache.load(current_path(index_dir).resolve()) if current_path(index_dir).exists() else TokenCache()


def _live_pinyin(index_dir: Path) -> PinyinTable | None:
    """The live build's pinyin table, whose library-made parts a rebuild may reuse; None when unreadable."""
    try:
        return PinyinTable.load(current_path(index_dir).resolve())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _embed_in_batches(texts: list[str], embed, desc: str, progress: bool) -> list[np.ndarray]:
    """embed(chunk) over the texts in batches, with a progress bar when asked."""
    out: list[np.ndarray] = []
    with tqdm(total=len(texts), desc=desc, unit="text", disable=not progress or not texts) as bar:
        for start in range(0, len(texts), BATCH):
            chunk = texts[start:start + BATCH]
            out.extend(embed(chunk))
            bar.update(len(chunk))
    return out


def embed_queries_cached(texts: list[str], embedder: Embedder, cache: dict[str, np.ndarray],
                         progress: bool = False) -> np.ndarray:
    """Query embeddings (e5 embeds questions and passages differently), reusing the cache."""
    todo = sorted({t for t in texts if _text_key("q:" + t) not in cache})
    fresh = dict(zip(todo, _embed_in_batches(todo, embedder.embed_queries, "embedding questions", progress)))
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.stack([fresh[t] if t in fresh else cache[_text_key("q:" + t)] for t in texts]).astype(np.float32)


# The everyday questions are background calm examples: a few added or removed (a learned
# question, an edited example) do not call for a refit.
ORDINARY_DRIFT = 0.05


def examples_key(examples: list[EmergencyExample], model: str) -> str:
    """What the emergency model is fitted from (JSON): the recipe and written examples as one
    digest, and a short digest per everyday question."""
    from bot.retrieval import emergency, mlp

    recipe = (FORMAT, model, mlp.HIDDEN, mlp.EPOCHS, mlp.BATCH_SIZE, mlp.LEARNING_RATE, mlp.WEIGHT_DECAY,
              emergency.HASH_BUCKETS, emergency.SHORT_CHARS, emergency.MAX_FALSE_ALARMS_WRITTEN, emergency.MAX_FALSE_ALARMS_ORDINARY,
              # How the everyday examples are made (a new tail pattern changes their bare forms) and
              # how the thresholds are chosen.
              emergency.MAX_EVERYDAY_EXAMPLES, emergency.RESPONSIBILITY_TAIL.pattern,
              emergency.FOLDS, emergency.REPEATS, emergency.THRESHOLD_GRID)
    digest = hashlib.sha256(repr(recipe).encode())
    for e in examples:
        if not e.ordinary:
            digest.update(json.dumps([e.q, e.emergency, e.type], ensure_ascii=False).encode())
    ordinary = sorted(hashlib.sha256(e.q.encode()).hexdigest()[:10] for e in examples if e.ordinary)
    return json.dumps({"written": digest.hexdigest(), "ordinary": ordinary})


def _reusable_emergency(index_dir: Path, key: str) -> EmergencyModel | None:
    """The live build's emergency model when it was fitted from the same written examples and
    nearly the same everyday questions: a list edit (a title, a phone, a learned question)
    should not pay for a refit."""
    live = current_path(index_dir)
    try:
        old, new = json.loads((live / EMERGENCY_KEY_FILE).read_text(encoding="utf-8")), json.loads(key)
        changed = len(set(old["ordinary"]) ^ set(new["ordinary"]))
        if old["written"] == new["written"] and changed <= ORDINARY_DRIFT * max(1, len(new["ordinary"])):
            return EmergencyModel.load(live)
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
        pass
    return None


def make_faiss(vectors: np.ndarray) -> faiss.Index:
    dim = vectors.shape[1]
    index: faiss.Index
    if len(vectors) > HNSW_THRESHOLD:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
    else:
        index = faiss.IndexFlatIP(dim)
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def embed_passages(
    passages: list[Passage], embedder: Embedder, cache: dict[str, np.ndarray], progress: bool
) -> tuple[np.ndarray, int]:
    """Vectors for all passages, embedding only texts the cache does not know."""
    if not passages:  # np.stack needs at least one row
        return np.zeros((0, embedder.dim), dtype=np.float32), 0
    keys = [_text_key(p.text) for p in passages]
    todo = sorted({k: p.text for k, p in zip(keys, passages) if k not in cache}.items())
    vecs = _embed_in_batches([t for _, t in todo], embedder.embed_passages, "embedding", progress)
    fresh = {k: v for (k, _), v in zip(todo, vecs)}
    vectors = np.stack([fresh[k] if k in fresh else cache[k] for k in keys]).astype(np.float32)
    return vectors, len(todo)


def target_documents(passages: list[Passage], targets: list[str]) -> list[list[str]]:
    """One BM25 document per target: its passages' texts."""
    position = {t: i for i, t in enumerate(targets)}
    docs: list[list[str]] = [[] for _ in targets]
    for p in passages:
        docs[position[p.item_id]].append(p.text)
    return docs


def build_index(settings: Settings, embedder: Embedder, progress: bool = True) -> BuildReport:
    """Validate the corpus, embed what changed and swap in a new build. Raises CorpusError on bad input."""
    started = time.perf_counter()
    corpus = read_corpus(settings.corpus_dir)
    passages = build_passages(corpus.duties, corpus.questions, corpus.referrals)
    targets = [d.id for d in corpus.duties] + [r.id for r in corpus.referrals]
    cache = _cached_vectors(settings.index_dir, embedder.name)
    vectors, embedded = embed_passages(passages, embedder, cache, progress)
    outside_vectors, outside_embedded = embed_passages([Passage("", "outside", o.q) for o in corpus.outside],
                                                       embedder, cache, progress)
    embedded += outside_embedded
    index = make_faiss(vectors)
    tokens = _cached_tokens(settings.index_dir)
    lexical = build_lexical(target_documents(passages, targets), corpus.synonyms, tokens)
    tokens.keep_only({p.text for p in passages})
    pinyin = typo_table(passages, LexicalIndex(lexical, corpus.synonyms), _live_pinyin(settings.index_dir))
    emergency = None
    emergency_key = ""
    query_texts: list[str] = []
    if corpus.emergency:
        examples = corpus.emergency + ordinary_calm_examples([q.q for q in corpus.questions], corpus.referrals,
                                                             corpus.emergency)
        query_texts = list(dict.fromkeys(e.q for e in examples))
        qvectors = embed_queries_cached(query_texts, embedder, cache, progress)
        row = {t: i for i, t in enumerate(query_texts)}
        emergency_key = examples_key(examples, embedder.name)
        emergency = _reusable_emergency(settings.index_dir, emergency_key)
        if emergency is None:
            emergency = EmergencyModel.fit(examples, qvectors[[row[e.q] for e in examples]])

    stamp = datetime.now(UTC)
    build_id = f"{stamp:%Y%m%dT%H%M%S%f}-{os.getpid()}"
    counts: dict[str, int] = {}
    for p in passages:
        counts[p.kind] = counts.get(p.kind, 0) + 1
    meta = IndexMeta(
        format=FORMAT, model=embedder.name, dim=int(vectors.shape[1]), corpus_hash=corpus_hash(settings),
        built_at=stamp.isoformat(timespec="seconds"), items=len(corpus.duties), passages=len(passages),
        counts=counts, faiss_index=type(index).__name__, build_id=build_id,
    )
    builds = settings.index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    tmp = builds / f".tmp-{build_id}"
    try:
        tmp.mkdir()
        shutil.copyfile(settings.duties_path, tmp / "duties.jsonl")
        for name in CORPUS_FILES:
            if (settings.corpus_dir / name).exists():
                shutil.copyfile(settings.corpus_dir / name, tmp / name)
        (tmp / "passages.jsonl").write_text(
            "".join(json.dumps(p.to_dict(), ensure_ascii=False) + "\n" for p in passages), encoding="utf-8"
        )
        np.save(tmp / "vectors.npy", vectors)
        np.save(tmp / OUTSIDE_VECTORS, outside_vectors)
        faiss.write_index(index, str(tmp / "dense.faiss"))
        lexical.save(tmp)
        tokens.save(tmp)
        pinyin.save(tmp)
        if emergency is not None:
            emergency.save(tmp)
            (tmp / EMERGENCY_KEY_FILE).write_text(emergency_key, encoding="utf-8")
            np.save(tmp / "query_vectors.npy", qvectors)
            (tmp / "query_texts.json").write_text(json.dumps(query_texts, ensure_ascii=False), encoding="utf-8")
        (tmp / "meta.json").write_text(json.dumps(asdict(meta), ensure_ascii=False, indent=1), encoding="utf-8")
        # Validate the build as answering will read it, before anyone can.
        load_build(tmp)
        # meta.json is written last above; a build folder without it is incomplete by definition.
        final = builds / build_id
        tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _swap_current(settings.index_dir, final)
    _prune(builds, keep=final)
    texts = len(passages) + len(corpus.outside)
    return BuildReport(meta, final, embedded, texts - embedded, time.perf_counter() - started, len(corpus.outside))


def _swap_current(index_dir: Path, target: Path) -> None:
    link = current_path(index_dir)
    tmp_link = index_dir / f".current-{os.getpid()}"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    tmp_link.symlink_to(target.relative_to(index_dir))
    os.replace(tmp_link, link)  # atomic on POSIX


def _prune(builds: Path, keep: Path) -> None:
    """Keep the newest builds (a bot may still be reading the previous one).

    Also drop temporary folders of builds that were killed midway (older than an hour,
    so a build running in parallel keeps its own).
    """
    done = sorted((p for p in builds.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    for old in done[:-KEEP_BUILDS]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
    for tmp in builds.glob(".tmp-*"):
        if time.time() - tmp.stat().st_mtime > STALE_TMP_SECONDS:
            shutil.rmtree(tmp, ignore_errors=True)


def check_index(settings: Settings, model: str) -> str | None:
    """Why the index cannot be used as it is (missing, other model, stale corpus), or None."""
    rebuild = "run `python scripts/build_index.py`"
    meta = read_meta(settings.index_dir)
    if meta is None:
        return f"no search index in {settings.index_dir}: {rebuild}"
    if meta.format != FORMAT:
        return f"the index in {settings.index_dir} has an old format: {rebuild}"
    if meta.model != model:
        return f"the index was built with model {meta.model!r}, but EMBEDDING_MODEL is {model!r}: {rebuild}"
    if meta.corpus_hash != corpus_hash(settings):
        return f"the duty list changed since the index was built ({meta.built_at}): {rebuild}"
    return None


def live_meta_damaged(index_dir: Path) -> bool:
    """The live build is there but its meta.json does not read: a damaged build (load_index
    falls back from it like from any other damaged file), not a missing index."""
    return current_path(index_dir).exists() and read_meta(index_dir) is None


def load_build(build: Path) -> LoadedIndex:
    """Read one build folder; a damaged or incomplete one raises IndexUnavailable naming the file."""
    try:
        meta = IndexMeta(**json.loads((build / "meta.json").read_text(encoding="utf-8")))
        corpus = read_corpus(build)
        passages = [Passage(**json.loads(line)) for line in (build / "passages.jsonl").open(encoding="utf-8")]
        index = faiss.read_index(str(build / "dense.faiss"))
        lexical = LexicalState.load(build)
        pinyin = PinyinTable.load(build)
        emergency = EmergencyModel.load(build)
        outside = corpus.outside
        if (build / OUTSIDE_VECTORS).exists() or (build / "out_of_list.jsonl").exists():
            outside_vectors = np.load(build / OUTSIDE_VECTORS)
            if outside_vectors.shape != (len(outside), index.d):
                raise ValueError(f"{OUTSIDE_VECTORS} has shape {outside_vectors.shape}, expected ({len(outside)}, {index.d})")
        else:  # a build from before off-list questions took part (its decision.json does not weigh them)
            outside, outside_vectors = [], np.zeros((0, index.d), dtype=np.float32)
    except (OSError, ValueError, TypeError, KeyError, RuntimeError, EOFError, zipfile.BadZipFile,
            CorpusError) as exc:  # a cut-short .npz is a BadZipFile, not an OSError
        raise IndexUnavailable(f"the index build {build.name} is damaged ({exc}): run `python scripts/build_index.py`") from None
    loaded = LoadedIndex(meta, build, corpus.duties, passages, index, lexical, corpus.referrals, corpus.synonyms,
                         pinyin, emergency, corpus.decision, corpus.matters, corpus.shorts,
                         outside=outside, outside_vectors=outside_vectors)
    targets = set(loaded.targets)
    if index.ntotal != len(passages) or lexical.n_docs != len(targets) or any(p.item_id not in targets for p in passages):
        raise IndexUnavailable(f"the index build {build.name} is damaged (its files do not agree): "
                               "run `python scripts/build_index.py`")
    return loaded


def _candidates(index_dir: Path) -> list[Path]:
    """The live build first, then the others newest first (fallbacks)."""
    current = current_path(index_dir)
    live = [current.resolve()] if current.exists() else []
    builds = index_dir / "builds"
    others = sorted((p for p in builds.iterdir() if p.is_dir() and not p.name.startswith(".")),
                    key=lambda p: p.name, reverse=True) if builds.is_dir() else []
    return live + [p for p in others if p not in live]


def load_index(settings: Settings, model: str, allow_stale: bool = False) -> LoadedIndex:
    """The live build; if it fails to load, the newest earlier build that loads (one log line).

    allow_stale: the corpus has changed (and does not validate): serve the last good build.
    """
    problem = check_index(settings, model)
    if problem and not allow_stale and not live_meta_damaged(settings.index_dir):
        raise IndexUnavailable(problem)
    failures = []
    for build in _candidates(settings.index_dir):
        meta_file = build / "meta.json"
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            failures.append(f"{build.name}: no readable meta.json")
            continue
        if meta.get("model") != model or meta.get("format") != FORMAT:
            continue
        try:
            loaded = load_build(build)
        except IndexUnavailable as exc:
            failures.append(str(exc))
            continue
        if failures:
            loaded.fallback_reason = "; ".join(failures)
            log.warning("index: %s; serving the earlier build %s", loaded.fallback_reason, build.name)
        return loaded
    raise IndexUnavailable("; ".join(failures) or f"no usable index in {settings.index_dir}: "
                           "run `python scripts/build_index.py`")
