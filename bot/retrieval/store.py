"""Build, store and load the search index under `index/`.

Layout: `index/builds/<stamp>/` holds one complete build (meta.json, duties.jsonl,
passages.jsonl, vectors.npy, dense.faiss); `index/current` is a symlink to the live
build. A rebuild writes a new folder and swaps the symlink with one atomic rename,
so a running bot never sees half an index and a failed build leaves the old one.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import faiss
import numpy as np
from tqdm import tqdm

from bot.corpus.model import Duty, file_hash, load_duties
from bot.corpus.questions import load_questions
from bot.retrieval.embedders import Embedder
from bot.retrieval.passages import Passage, build_passages
from bot.settings import Settings

FORMAT = 1
BATCH = 64
# Above this many vectors an exact scan gets slow; HNSW keeps question latency flat.
HNSW_THRESHOLD = 200_000
KEEP_BUILDS = 2
STALE_TMP_SECONDS = 3600


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
    embedded: int
    reused: int
    seconds: float

    def summary(self) -> str:
        m = self.meta
        kinds = ", ".join(f"{k} {v}" for k, v in m.counts.items())
        return (
            f"index built in {self.seconds:.1f} s: {m.items} items, {m.passages} passages ({kinds}); "
            f"embedded {self.embedded}, reused {self.reused}; model {m.model}, {m.dim} dims -> {self.path}"
        )


@dataclass
class LoadedIndex:
    meta: IndexMeta
    path: Path
    duties: list[Duty]
    passages: list[Passage]
    faiss_index: faiss.Index


def corpus_hash(settings: Settings) -> str:
    return file_hash(settings.duties_path, settings.questions_path, settings.synonyms_path)


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
    """Embeddings of the live build, by text, when it used the same model."""
    meta = read_meta(index_dir)
    if meta is None or meta.model != model or meta.format != FORMAT:
        return {}
    build = current_path(index_dir).resolve()
    try:
        vectors = np.load(build / "vectors.npy")
        texts = [json.loads(line)["text"] for line in (build / "passages.jsonl").open(encoding="utf-8")]
    except (OSError, ValueError, KeyError):
        return {}
    if len(texts) != len(vectors):
        return {}
    return {_text_key(t): v for t, v in zip(texts, vectors)}


def make_faiss(vectors: np.ndarray) -> faiss.Index:
    dim = vectors.shape[1]
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
    keys = [_text_key(p.text) for p in passages]
    todo = sorted({k: p.text for k, p in zip(keys, passages) if k not in cache}.items())
    fresh: dict[str, np.ndarray] = {}
    with tqdm(total=len(todo), desc="embedding", unit="text", disable=not progress or not todo) as bar:
        for start in range(0, len(todo), BATCH):
            chunk = todo[start:start + BATCH]
            vecs = embedder.embed_passages([t for _, t in chunk])
            fresh.update({k: v for (k, _), v in zip(chunk, vecs)})
            bar.update(len(chunk))
    vectors = np.stack([fresh[k] if k in fresh else cache[k] for k in keys]).astype(np.float32)
    return vectors, len(todo)


def build_index(settings: Settings, embedder: Embedder, progress: bool = True) -> BuildReport:
    """Validate the corpus, embed what changed and swap in a new build. Raises CorpusError on bad input."""
    started = time.perf_counter()
    duties = load_duties(settings.duties_path)
    questions = load_questions(settings.questions_path, {d.id for d in duties})
    passages = build_passages(duties, questions)
    vectors, embedded = embed_passages(passages, embedder, _cached_vectors(settings.index_dir, embedder.name), progress)
    index = make_faiss(vectors)

    stamp = datetime.now(timezone.utc)
    build_id = f"{stamp:%Y%m%dT%H%M%S%f}-{os.getpid()}"
    counts: dict[str, int] = {}
    for p in passages:
        counts[p.kind] = counts.get(p.kind, 0) + 1
    meta = IndexMeta(
        format=FORMAT, model=embedder.name, dim=int(vectors.shape[1]), corpus_hash=corpus_hash(settings),
        built_at=stamp.isoformat(timespec="seconds"), items=len(duties), passages=len(passages),
        counts=counts, faiss_index=type(index).__name__, build_id=build_id,
    )
    builds = settings.index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    tmp = builds / f".tmp-{build_id}"
    try:
        tmp.mkdir()
        shutil.copyfile(settings.duties_path, tmp / "duties.jsonl")
        (tmp / "passages.jsonl").write_text(
            "".join(json.dumps(p.to_dict(), ensure_ascii=False) + "\n" for p in passages), encoding="utf-8"
        )
        np.save(tmp / "vectors.npy", vectors)
        faiss.write_index(index, str(tmp / "dense.faiss"))
        # meta.json last: a build folder without it is incomplete by definition.
        (tmp / "meta.json").write_text(json.dumps(asdict(meta), ensure_ascii=False, indent=1), encoding="utf-8")
        final = builds / build_id
        tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _swap_current(settings.index_dir, final)
    _prune(builds, keep=final)
    return BuildReport(meta, final, embedded, len(passages) - embedded, time.perf_counter() - started)


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


def load_index(settings: Settings, model: str) -> LoadedIndex:
    problem = check_index(settings, model)
    if problem:
        raise IndexUnavailable(problem)
    build = current_path(settings.index_dir).resolve()
    meta = IndexMeta(**json.loads((build / "meta.json").read_text(encoding="utf-8")))
    duties = load_duties(build / "duties.jsonl")
    passages = [Passage(**json.loads(line)) for line in (build / "passages.jsonl").open(encoding="utf-8")]
    index = faiss.read_index(str(build / "dense.faiss"))
    if index.ntotal != len(passages):
        raise IndexUnavailable(f"the index in {build} is damaged: run `python scripts/build_index.py`")
    return LoadedIndex(meta, build, duties, passages, index)
