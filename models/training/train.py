"""One style training run, in the process that calls it (the worker child: see worker.py).

A lean loop rather than transformers' Trainer: Trainer's checkpoints write the optimizer and
RNG state with torch.save (pickle), which Penwright never reads back, and on a 2-core CPU its
dataloader and callback machinery buy nothing. The loop is AdamW over the LoRA matrices only,
bf16 autocast where the CPU or GPU has bf16 arithmetic, and a loss computed in chunks of
positions under activation checkpointing so that the 262,144-wide logits of only one chunk
exist at a time (a 4 x 128 batch would otherwise hold 512 MB of logits and as much again in
their gradient).
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import torch
from torch.utils.checkpoint import checkpoint

from penwright.models.training import styles
from penwright.models.training.base_model import base_sha256
from penwright.models.training.checkpoint import (
    discard_checkpoint,
    load_checkpoint,
    save_checkpoint,
)
from penwright.models.training.corpus import check_size, count_tokens, read_corpus
from penwright.models.training.evaluation import (
    greedy_continuation,
    held_out_perplexity,
    sample_prompt,
)
from penwright.models.training.heldout import split_blocks
from penwright.models.training.job import TrainingJob, run_folder
from penwright.models.training.lora import adapter_state, attach_lora, save_adapter

Emit = Callable[[dict[str, Any]], None]
LOSS_CHUNK = 64
CHECKPOINT_EVERY_SECONDS = 60.0


class Cancelled(Exception):
    """The run was asked to stop; its checkpoint is kept so it can resume."""


def run_training(job: TrainingJob, emit: Emit, stop_requested: Callable[[], bool]) -> styles.Style:
    from penwright.models.loading.loader import load_model
    from penwright.models.spec import ModelSpec

    key = styles.style_key(job.name)
    styles.remove_leftover_staging()
    corpus = read_corpus(job.paths)
    check_size(corpus, job.min_words)
    sha = base_sha256(job.base)
    emit({"event": "loading", "message": "Loading the base model"})
    loaded = load_model(ModelSpec(source=job.base, device=job.device, precision="fp32"))
    model, tokenizer = loaded.model, loaded.tokenizer
    count_tokens(corpus, tokenizer)
    emit({"event": "corpus", **corpus.statistics()})
    ids: list[int] = []
    for _, text in corpus.texts:
        ids.extend(tokenizer.encode(text, add_special_tokens=False))
        if tokenizer.eos_token_id is not None:
            ids.append(tokenizer.eos_token_id)
    split = split_blocks(ids)
    bos = tokenizer.bos_token_id
    device = next(model.parameters()).device
    autocast = _autocast_dtype(device)

    emit({"event": "evaluating", "message": "Measuring the base model on held-out text"})
    prompt = sample_prompt(split.held_out, tokenizer)
    before = held_out_perplexity(model, split.held_out, bos)
    sample_before = greedy_continuation(model, tokenizer, prompt)

    torch.manual_seed(job.seed)
    peft_model = attach_lora(model, job.rank, 2 * job.rank)
    causal_lm = peft_model.base_model.model
    trainable = {n: p for n, p in peft_model.named_parameters() if p.requires_grad}
    optimizer = torch.optim.AdamW(trainable.values(), lr=job.learning_rate, weight_decay=0.0)
    sequences = _sequences(split.train, job.sequence_tokens - 1, bos)
    per_epoch = max(1, len(sequences) // job.batch_size)
    total_steps = per_epoch * job.epochs
    fingerprint = _fingerprint(job, sha, ids)
    folder = run_folder(key)
    step = load_checkpoint(folder, trainable, optimizer, fingerprint)
    if step:
        emit({"event": "resumed", "step": step, "steps": total_steps})
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: max(0.05, 1.0 - s / max(total_steps, 1)), last_epoch=-1
    )
    for _ in range(step):
        scheduler.step()
    first_step = step
    started = time.monotonic()
    deadline = started + job.max_minutes * 60.0
    last_checkpoint = started
    trained_tokens = 0
    first_loss: float | None = None
    last_loss = 0.0
    peft_model.train()
    stopped_early = False
    while step < total_steps:
        if stop_requested():
            save_checkpoint(folder, trainable, optimizer, step, fingerprint)
            raise Cancelled()
        if time.monotonic() >= deadline:
            stopped_early = True
            break
        epoch, index = divmod(step, per_epoch)
        order = list(range(len(sequences)))
        random.Random(job.seed + epoch).shuffle(order)
        batch = [sequences[i] for i in order[index * job.batch_size : (index + 1) * job.batch_size]]
        input_ids = torch.tensor(batch, device=device)
        with torch.autocast(device.type, dtype=autocast, enabled=autocast is not None):
            loss = _chunked_loss(causal_lm, input_ids)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable.values(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        scheduler.step()
        step += 1
        trained_tokens += input_ids.numel()
        last_loss = float(loss.detach())
        first_loss = last_loss if first_loss is None else first_loss
        elapsed = time.monotonic() - started
        per_step = elapsed / (step - first_step)
        left = min((total_steps - step) * per_step, max(deadline - time.monotonic(), 0.0))
        emit(
            {
                "event": "step",
                "step": step,
                "steps": total_steps,
                "epoch": epoch + 1,
                "loss": round(last_loss, 4),
                "tokens_per_second": round(trained_tokens / max(elapsed, 1e-9), 1),
                "seconds_left": round(left, 1),
            }
        )
        if time.monotonic() - last_checkpoint >= CHECKPOINT_EVERY_SECONDS:
            save_checkpoint(folder, trainable, optimizer, step, fingerprint)
            last_checkpoint = time.monotonic()
    training_seconds = time.monotonic() - started
    peft_model.eval()

    emit({"event": "evaluating", "message": "Measuring the style on held-out text"})
    # The LoRA layers sit inside causal_lm itself: calling it uses them (peft's own wrapper
    # passes the KV cache under its old name, which the installed transformers deprecates).
    after = held_out_perplexity(causal_lm, split.held_out, bos)
    sample_after = greedy_continuation(causal_lm, tokenizer, prompt)
    state = adapter_state(peft_model)
    meta: dict[str, Any] = {
        "name": job.name,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "base": {"source": job.base, "sha256": sha, "name": loaded.info.name},
        "corpus": corpus.statistics() | {"train_tokens": split.train_tokens},
        "hyperparameters": {
            "epochs": job.epochs,
            "rank": job.rank,
            "alpha": 2 * job.rank,
            "learning_rate": job.learning_rate,
            "sequence_tokens": job.sequence_tokens,
            "batch_size": job.batch_size,
            "precision": "bf16 autocast" if autocast is not None else "fp32",
            "device": str(device),
            "max_minutes": job.max_minutes,
        },
        "figures": {
            "perplexity_before": round(before, 3),
            "perplexity_after": round(after, 3),
            "held_out_tokens": sum(len(b) for b in split.held_out),
            "first_loss": first_loss,
            "last_loss": last_loss,
            "steps": step,
            "steps_planned": total_steps,
            "stopped_at_time_limit": stopped_early,
            "training_seconds": round(training_seconds, 1),
            "tokens_per_second": round(trained_tokens / max(training_seconds, 1e-9), 1),
        },
        "samples": {"prompt": prompt, "before": sample_before, "after": sample_after},
    }
    style = styles.save_style(
        key, meta, lambda path: save_adapter(path, state, job.rank, 2 * job.rank)
    )
    discard_checkpoint(folder)
    emit({"event": "done", "style": style.key, "name": style.name, **meta["figures"]})
    return style


def _sequences(blocks: list[list[int]], length: int, bos: int | None) -> list[list[int]]:
    """Training sequences of equal length (no padding), each starting with BOS as at use."""
    flat = [token for block in blocks for token in block]
    prefix = [bos] if bos is not None else []
    return [prefix + flat[i : i + length] for i in range(0, len(flat) - length + 1, length)]


def _chunked_loss(causal_lm: Any, input_ids: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross entropy, its logits computed LOSS_CHUNK positions at a time."""
    hidden = causal_lm.model(input_ids=input_ids).last_hidden_state
    head = causal_lm.get_output_embeddings()
    softcap = getattr(causal_lm.config, "final_logit_softcapping", None)
    targets = input_ids[:, 1:]
    hidden = hidden[:, :-1]
    total = hidden.new_zeros((), dtype=torch.float32)

    def chunk_loss(h: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        logits = head(h).float()
        if softcap:
            logits = torch.tanh(logits / softcap) * softcap
        return torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), t.reshape(-1), reduction="sum"
        )

    for start in range(0, hidden.shape[1], LOSS_CHUNK):
        h = hidden[:, start : start + LOSS_CHUNK]
        t = targets[:, start : start + LOSS_CHUNK]
        total = total + checkpoint(chunk_loss, h, t, use_reentrant=False)
    return total / targets.numel()


def _autocast_dtype(device: torch.device) -> torch.dtype | None:
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    if device.type == "cpu":
        from penwright.models.loading.cpu_features import cpu_features

        features = cpu_features()
        return torch.bfloat16 if features.has_amx_bf16 or features.has_avx512_bf16 else None
    return None


def _fingerprint(job: TrainingJob, sha: str, ids: list[int]) -> str:
    settings = asdict(job) | {"paths": None, "name": None, "max_minutes": None, "base_sha": sha}
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    digest.update(torch.tensor(ids, dtype=torch.int64).numpy().tobytes())
    return digest.hexdigest()
