"""Training a cross-encoder (:mod:`rag.embed.cross_net`) on pairs or groups, on a CPU.

Generic over :class:`~rag.train.examples.Pair` (pointwise: binary cross-entropy) and
:class:`~rag.train.examples.Group` (listwise: the positive against ``group_size - 1`` negatives,
softmax cross-entropy), or a mix. The inputs are built by :class:`rag.embed.cross_encoder.PairEncoder`,
the class that scores at run time, so training and scoring read the same tokens.

- **Deterministic.** One seed fixes the head's initialisation, the order of the examples in each
  epoch, the negatives drawn for each group and dropout; torch runs with a fixed thread count.
- **In chunks.** Every ``checkpoint_every`` steps the trainable weights, the optimiser, the RNG and
  the losses so far are saved (atomically) in ``checkpoints/``; ``resume`` continues from the last
  one when the configuration and the data are the same, and ends with the same weights.
- **bf16 where the CPU has it.** ``precision = "auto"`` trains under bf16 autocast on CPUs with
  bf16 in hardware (AMX, AVX-512 BF16: :func:`rag.embed.cpu.has_native_bf16`), fp32 elsewhere
  (on an AVX2-only CPU bf16 is emulated and slower).

The learning rate warms up linearly over ``warmup`` of the steps, then falls linearly to 0.
Only the transformer layers and the head learn; the embeddings stay the bundled model's.
"""
from __future__ import annotations

import hashlib
import json
import os
import resource
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..embed.cpu import cpu_flags, has_native_bf16
from ..embed.cross_encoder import PairEncoder
from ..embed.cross_net import build_net, changed_tensors
from ..embed.cross_weights import CrossEncoderSpec, write_weights
from .examples import Example, Group, Pair, to_json

Log = Callable[[str], None]
CHECKPOINT = "checkpoint.pt"


@dataclass(frozen=True)
class TrainConfig:
    layers: int = 4
    max_length: int = 192
    max_query_tokens: int = 48
    group_size: int = 8  # a group's pairs per step: its positive and this many minus one negatives
    batch_pairs: int = 16  # pairs per optimiser step
    epochs: int = 1
    lr: float = 1e-4
    head_lr: float = 2e-3  # the fresh head learns faster than the pretrained layers
    weight_decay: float = 0.01
    warmup: float = 0.1
    seed: int = 0
    threads: int = 2
    checkpoint_every: int = 200
    precision: str = "auto"  # auto | bf16 | fp32
    max_valid: int = 400  # held-out examples scored after each epoch (0: none)

    def to_dict(self) -> dict:
        return asdict(self)


def resolve_precision(precision: str) -> str:
    if precision not in ("auto", "bf16", "fp32"):
        raise ValueError(f"precision must be auto, bf16 or fp32, not {precision!r}")
    if precision == "auto":
        return "bf16" if has_native_bf16(cpu_flags()) else "fp32"
    return precision


def data_digest(examples: list[Example]) -> str:
    h = hashlib.sha256()
    for ex in examples:
        h.update(to_json(ex).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()[:16]


def batches_of(examples: list[Example], order: list[int], cfg: TrainConfig) -> list[list[int]]:
    """Consecutive examples of ``order`` in steps of about ``batch_pairs`` pairs (a group counts
    ``group_size``; at least one example a step)."""
    out, cur, n = [], [], 0
    for i in order:
        size = min(cfg.group_size, 1 + len(examples[i].negatives)) if isinstance(examples[i], Group) else 1
        if cur and n + size > cfg.batch_pairs:
            out.append(cur)
            cur, n = [], 0
        cur.append(i)
        n += size
    if cur:
        out.append(cur)
    return out


def step_plan(examples: list[Example], cfg: TrainConfig) -> list[tuple[int, list[int]]]:
    """Every step of the run as ``(epoch, example indices)``: each epoch a seeded permutation."""
    plan = []
    for epoch in range(cfg.epochs):
        order = np.random.default_rng([cfg.seed, epoch]).permutation(len(examples)).tolist()
        plan += [(epoch, b) for b in batches_of(examples, order, cfg)]
    return plan


def draw_negatives(group: Group, cfg: TrainConfig, epoch: int, index: int) -> list[str]:
    """The negatives a group trains with in ``epoch`` (seeded by the seed, the epoch and the
    example: the same on resume)."""
    k = min(cfg.group_size - 1, len(group.negatives))
    if k == len(group.negatives):
        return list(group.negatives)
    rng = np.random.default_rng([cfg.seed, epoch, index, 7])
    return [group.negatives[j] for j in sorted(rng.choice(len(group.negatives), k, replace=False))]


def lr_factor(step: int, total: int, warmup: float) -> float:
    w = max(1, int(round(total * warmup)))
    if step < w:
        return (step + 1) / w
    return max(0.0, (total - step) / max(1, total - w))


def loss_of(net, encoder: PairEncoder, examples: list[Example], picked: list[int], cfg: TrainConfig,
            epoch: int, bf16: bool):
    """The step's loss over the examples ``picked``, and how many pairs it scored."""
    import torch

    pairs: list[tuple[str, str]] = []
    groups: list[tuple[int, int]] = []  # (first pair, pairs) of each group
    pointwise: list[tuple[int, float]] = []
    for i in picked:
        ex = examples[i]
        if isinstance(ex, Group):
            texts = [ex.positive] + draw_negatives(ex, cfg, epoch, i)
            groups.append((len(pairs), len(texts)))
            pairs += [(ex.text_a, t) for t in texts]
        else:
            pointwise.append((len(pairs), ex.label))
            pairs.append((ex.text_a, ex.text_b))
    ids, mask = encoder.pad_batch(encoder.encode(pairs))
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        scores = net(torch.from_numpy(ids), torch.from_numpy(mask))
    scores = scores.float()
    parts = []
    if groups:
        width = max(n for _, n in groups)
        table = torch.full((len(groups), width), float("-inf"))
        for g, (start, n) in enumerate(groups):
            table[g, :n] = scores[start:start + n]
        parts.append(torch.nn.functional.cross_entropy(table, torch.zeros(len(groups), dtype=torch.long),
                                                       reduction="sum"))
    if pointwise:
        at = torch.tensor([p for p, _ in pointwise])
        labels = torch.tensor([y for _, y in pointwise], dtype=torch.float32)
        parts.append(torch.nn.functional.binary_cross_entropy_with_logits(scores[at], labels, reduction="sum"))
    return sum(parts) / len(picked), len(pairs)


def evaluate(net, encoder: PairEncoder, examples: list[Example], batch: int = 32) -> dict:
    """Held-out figures: for groups, the mean reciprocal rank of the positive among all its
    negatives and how often it comes first; for pairs, accuracy at score 0 and the loss."""
    import torch

    if not examples:
        return {}
    net.eval()
    pairs, where = [], []
    for ex in examples:
        texts = [ex.positive, *ex.negatives] if isinstance(ex, Group) else [ex.text_b]
        where.append((len(pairs), len(texts)))
        pairs += [(ex.text_a, t) for t in texts]
    ids = encoder.encode(pairs)
    scores = np.empty(len(pairs), np.float32)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    with torch.inference_mode():
        for s in range(0, len(order), batch):
            chunk = order[s:s + batch]
            arr, mask = encoder.pad_batch([ids[i] for i in chunk])
            scores[chunk] = net(torch.from_numpy(arr), torch.from_numpy(mask)).float().numpy()
    net.train()
    rr, first, correct, bce = [], [], [], []
    for ex, (start, n) in zip(examples, where):
        s = scores[start:start + n]
        if isinstance(ex, Group):
            rank = 1 + int((s[1:] > s[0]).sum())
            rr.append(1.0 / rank)
            first.append(rank == 1)
        else:
            correct.append((s[0] > 0) == (ex.label >= 0.5))
            bce.append(float(np.logaddexp(0, s[0]) - ex.label * s[0]))
    out: dict = {}
    if rr:
        out.update(groups=len(rr), mrr=round(float(np.mean(rr)), 4), top1=round(float(np.mean(first)), 4))
    if correct:
        out.update(pairs=len(correct), accuracy=round(float(np.mean(correct)), 4), loss=round(float(np.mean(bce)), 4))
    return out


def _save_checkpoint(folder: Path, state: dict) -> None:
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{CHECKPOINT}.tmp"
    torch.save(state, tmp)
    os.replace(tmp, folder / CHECKPOINT)


def _load_checkpoint(folder: Path, cfg: TrainConfig, digest: str, log: Log) -> dict | None:
    import torch

    path = folder / CHECKPOINT
    if not path.is_file():
        return None
    state = torch.load(path, weights_only=False)
    if state.get("config") != cfg.to_dict() or state.get("data") != digest:
        log(f"checkpoint {path} is of another configuration or data set: starting afresh")
        return None
    return state


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def train(examples: list[Example], base_dir: Path, out: Path, cfg: TrainConfig = TrainConfig(), *,
          valid: list[Example] | None = None, checkpoints: Path | None = None, resume: bool = False,
          base_name: str = "", trained: dict | None = None, max_steps: int | None = None,
          log: Log = lambda s: None) -> dict:
    """Train a cross-encoder on ``examples`` over the base model folder ``base_dir`` and write its
    weights file at ``out`` (:mod:`rag.embed.cross_weights`). ``valid``: held-out examples scored
    after each epoch. ``checkpoints``: the folder of the resumable checkpoint. ``max_steps``: stop
    (after checkpointing) once this many steps are done in total, to be resumed later. Returns
    the training report (also recorded, with ``trained``, in the file's header)."""
    import torch

    if not examples:
        raise ValueError("no training examples")
    precision = resolve_precision(cfg.precision)
    bf16 = precision == "bf16"
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    net = build_net(base_dir, cfg.layers, cfg.seed)
    encoder = PairEncoder.from_file(Path(base_dir) / "tokenizer.json", cfg.max_length, cfg.max_query_tokens)
    head = list(net.head.parameters())
    body = [p for n, p in net.named_parameters() if p.requires_grad and not n.startswith("head.")]
    decay = lambda ps: [p for p in ps if p.ndim > 1]  # noqa: E731 (no decay on biases and layer norms)
    keep = lambda ps: [p for p in ps if p.ndim <= 1]  # noqa: E731
    optim = torch.optim.AdamW([
        {"params": decay(body), "lr": cfg.lr, "weight_decay": cfg.weight_decay, "base": cfg.lr},
        {"params": keep(body), "lr": cfg.lr, "weight_decay": 0.0, "base": cfg.lr},
        {"params": decay(head), "lr": cfg.head_lr, "weight_decay": cfg.weight_decay, "base": cfg.head_lr},
        {"params": keep(head), "lr": cfg.head_lr, "weight_decay": 0.0, "base": cfg.head_lr},
    ])
    plan = step_plan(examples, cfg)
    digest = data_digest(examples)
    step, losses, valid_log, seconds, cpu_seconds, pairs_seen = 0, [], [], 0.0, 0.0, 0
    if checkpoints and resume:
        state = _load_checkpoint(Path(checkpoints), cfg, digest, log)
        if state is not None:
            net.load_state_dict(state["net"], strict=False)
            optim.load_state_dict(state["optim"])
            torch.set_rng_state(state["torch_rng"])
            step, losses, valid_log = state["step"], state["losses"], state["valid"]
            seconds, cpu_seconds, pairs_seen = state["seconds"], state.get("cpu_seconds", 0.0), state["pairs"]
            log(f"resumed at step {step} of {len(plan)} ({seconds:.0f}s of training so far)")

    def checkpoint() -> None:
        if checkpoints:
            trainable = {n: p.detach().clone() for n, p in net.named_parameters() if p.requires_grad}
            _save_checkpoint(Path(checkpoints), {
                "step": step, "config": cfg.to_dict(), "data": digest, "net": trainable,
                "optim": optim.state_dict(), "torch_rng": torch.get_rng_state(), "losses": losses,
                "valid": valid_log, "seconds": seconds, "cpu_seconds": cpu_seconds, "pairs": pairs_seen})

    held = (valid or [])[:cfg.max_valid] if cfg.max_valid else []
    net.train()
    t_start = time.perf_counter()
    window = []
    while step < len(plan):
        if max_steps is not None and step >= max_steps:
            checkpoint()
            log(f"stopped at step {step} of {len(plan)} (max_steps); resume to go on")
            return {"finished": False, "step": step, "steps": len(plan)}
        epoch, picked = plan[step]
        t0, c0 = time.perf_counter(), time.process_time()
        f = lr_factor(step, len(plan), cfg.warmup)
        for g in optim.param_groups:
            g["lr"] = g["base"] * f
        loss, n_pairs = loss_of(net, encoder, examples, picked, cfg, epoch, bf16)
        optim.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in net.parameters() if p.requires_grad], 1.0)
        optim.step()
        step += 1
        seconds += time.perf_counter() - t0
        cpu_seconds += time.process_time() - c0
        pairs_seen += n_pairs
        window.append(float(loss.detach()))
        if step % 50 == 0 or step == len(plan):
            losses.append([step, round(float(np.mean(window)), 4)])
            log(f"step {step}/{len(plan)}  loss {np.mean(window):.4f}  {pairs_seen / max(seconds, 1e-9):.1f} pairs/s  "
                f"{seconds / 60:.1f} min ({pairs_seen / max(cpu_seconds, 1e-9):.2f} pairs per CPU-second)  "
                f"load {os.getloadavg()[0]:.1f}")
            window = []
        last_of_epoch = step == len(plan) or plan[step][0] != epoch
        if last_of_epoch and held:
            valid_log.append({"epoch": epoch + 1, "step": step, **evaluate(net, encoder, held)})
            log(f"held-out after epoch {epoch + 1}: {valid_log[-1]}")
        if step % cfg.checkpoint_every == 0 or last_of_epoch:
            checkpoint()
    report = {
        "finished": True, "steps": len(plan), "examples": len(examples), "pairs_seen": pairs_seen,
        "groups": sum(isinstance(e, Group) for e in examples), "pairs": sum(isinstance(e, Pair) for e in examples),
        "precision": precision, "train_seconds": round(seconds, 1), "pairs_per_second": round(pairs_seen / max(seconds, 1e-9), 2),
        "cpu_seconds": round(cpu_seconds, 1), "pairs_per_cpu_second": round(pairs_seen / max(cpu_seconds, 1e-9), 3),
        "wall_seconds_this_run": round(time.perf_counter() - t_start, 1), "peak_rss_mb": round(peak_rss_mb()),
        "losses": losses, "held_out": valid_log, "config": cfg.to_dict(), "data": digest,
    }
    spec = CrossEncoderSpec(cfg.layers, net.head.in_features, cfg.max_length, cfg.max_query_tokens,
                            base_name or Path(base_dir).name,
                            {**(trained or {}), **{k: report[k] for k in ("steps", "examples", "pairs_seen",
                                                                         "precision", "data")},
                             "config": cfg.to_dict(), "held_out": valid_log[-1:] })
    write_weights(out, changed_tensors(net), spec)
    report["weights"] = str(out)
    report["weights_bytes"] = Path(out).stat().st_size
    return report
