"""The vocabulary projection on the CPU, the one product that bounds decoding speed.

Gemma 3 270M spends 168M of its 268M weights on the tied 262k x 640 output layer, and every
decode step multiplies one row by all of it. Two things make that product fast here.

**Float models: always a 2-D product.** Asked for the last position's logits
(``logits_to_keep=1``), a causal LM hands its output layer ``hidden[:, -1:, :]``, a (1, 1, 640)
view with the strides of the whole chunk. ``F.linear`` cannot fold that view into one matrix
product, so ``matmul`` takes the batched path, which first copies the transposed weight into a
new tensor: 3.5 s per call in bf16 and 98 ms in fp32 on the 2-core development CPU (AMD EPYC,
AVX-512 bf16), against 90 ms on a 2-D input. It made bf16's cold prefill six times slower than
fp32's (issue 13). ``FoldedLinear`` flattens first.

**int8 models: int8 activations too.** PyTorch's weight-only int8 kernel
(``torch._weight_int8pack_mm``, models.loading.quantize) converts every weight to bf16 before
multiplying: 26-39 ms for this layer and one row on one core. The quantized engine's dynamic
linear (fbgemm, or oneDNN, through ``torch.ops.quantized.linear_dynamic``) quantizes the row to
8 bits and multiplies integers with AVX-512 VNNI (AMX on CPUs that have it): 11-13 ms. Held-out
perplexity (default model, shipped English and Chinese prose, against fp32):

| output layer | English | Chinese |
|---|---:|---:|
| weight-only int8 | +0.11% | +0.15% |
| int8 x int8, whole row quantized | +0.23% | +3.25% |
| int8 x int8, 16 largest input dimensions kept in fp32 | -0.02% | +0.24% |
| int4 groups of 32-128, weights only (torch's int4 kernel, 12 ms) | +4-15% | +23-54% |

The input row has a few dimensions up to 20x larger than the rest (the same ones for every
token: 15 of the 16 largest over 37 calibration tokens are the 16 largest over 3,000 tokens of
text); one shared 8-bit scale then rounds the other dimensions coarsely. So those dimensions,
found once at load time from a short calibration text (``CALIBRATION_TEXT``), are multiplied in
fp32 (16 x 262k weights, 16 MB) and the rest in int8. int4 was measured and rejected: its
rounding noise, spread over 262k logits, inflates the softmax's denominator, worst for Chinese,
where the next token's probability is spread widest.

Each row is quantized on its own, so a row's logits do not depend on the other rows of its batch:
batched alternatives give what single requests give, and greedy decoding equals
``model.generate`` on the same model.
"""

from __future__ import annotations

import logging
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from penwright.models.loading.quantize import Int8Linear
from penwright.models.model_parts import decoder_of

logger = logging.getLogger(__name__)

PACKED_BLOCKS = 4
"""The output layer's rows are packed in this many blocks, side by side (see __init__); the
forward then multiplies block by block (5.6 ms against 6.5 ms for one block, on 2 threads)."""

OUTLIER_DIMENSIONS = 16
"""Input dimensions of the output layer kept in fp32 (see the table in the module docstring)."""

CALIBRATION_TEXT = (
    "The lighthouse keeper climbed the stairs every evening, and the lamp answered the sea. "
    "“Who's there?” she asked, holding the lantern high.\n\n"
    "灯塔看守人每天晚上爬上楼梯，点亮灯火。海风吹过窗户，她轻声问道：“谁在那里？”"  # noqa: RUF001
)
"""What the model reads once at load to find the output layer's large input dimensions: prose
in both languages the project ships for, with dialogue."""


class FoldedLinear(nn.Linear):
    """nn.Linear that flattens the leading dimensions before the product and restores them."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, x.shape[-1])
        return F.linear(flat, self.weight, self.bias).reshape(*x.shape[:-1], self.out_features)


def fold_output_layer(model: Any) -> bool:
    """Give a float ``model`` (a transformers causal LM) a FoldedLinear output layer with the very
    same weight and bias (tied weights stay tied). Returns whether it replaced one."""
    head = _output_layer(model)
    if type(head) is not nn.Linear:  # already replaced, quantized, or something of its own
        return False
    folded = FoldedLinear(head.in_features, head.out_features, bias=False, device="meta")
    folded.weight = head.weight
    folded.bias = head.bias
    model.set_output_embeddings(folded)
    return True


def integer_kernel_available() -> bool:
    """Whether this torch build has the quantized engine's dynamic linear for this CPU."""
    engines = getattr(torch.backends.quantized, "supported_engines", [])
    has_ops = hasattr(torch.ops.quantized, "linear_dynamic") and hasattr(
        torch.ops.quantized, "linear_prepack"
    )
    return has_ops and any(engine in engines for engine in ("x86", "fbgemm", "onednn"))


class Int8ActivationLinear(nn.Module):
    """y = x @ (q * scale).T + bias for int8 rows q with per-row scales, computed as int8 x int8
    on the quantized engine for all but ``outlier_dims`` input dimensions, which are multiplied
    in fp32. Each row of x is quantized separately. Inputs in any float dtype; the output in
    ``compute_dtype``.
    """

    outlier_dims: torch.Tensor
    kept_dims: torch.Tensor
    outlier_weight: torch.Tensor

    def __init__(
        self,
        weight_int8: torch.Tensor,
        scales: torch.Tensor,
        outlier_dims: torch.Tensor,
        bias: torch.Tensor | None,
        compute_dtype: torch.dtype,
    ) -> None:
        super().__init__()
        self.out_features, self.in_features = weight_int8.shape
        self.compute_dtype = compute_dtype
        outliers = torch.zeros(self.in_features, dtype=torch.bool)
        outliers[outlier_dims] = True
        self.register_buffer("outlier_dims", outliers.nonzero().squeeze(1))
        self.register_buffer("kept_dims", (~outliers).nonzero().squeeze(1))
        row_scales = scales.detach().double()
        # (outliers, out): a ready right-hand side for addmm.
        self.register_buffer(
            "outlier_weight",
            (weight_int8[:, self.outlier_dims].float() * scales.float()[:, None]).t().contiguous(),
        )
        kept = weight_int8[:, self.kept_dims].contiguous()
        rows_per_block = -(-self.out_features // PACKED_BLOCKS)
        blocks = [
            slice(start, min(start + rows_per_block, self.out_features))
            for start in range(0, self.out_features, rows_per_block)
        ]
        with warnings.catch_warnings(), ThreadPoolExecutor(os.cpu_count() or 1) as pool:
            # torch 2.13 announces that quantized tensors will go; until then they are the way
            # into the engine's kernels, and speed_up_int8_output_layer falls back without them.
            warnings.filterwarnings(
                "ignore", message=".*quantized tensor creation", category=UserWarning
            )
            # The engine's own packed copies (script objects, so not in state_dict: this layer
            # is built at load time from the int8 rows the cache stores). Packing releases the
            # GIL and runs on one core: blocks packed side by side took 0.7 s instead of 2.4 s.
            self._packed = list(pool.map(lambda rows: _pack(kept[rows], row_scales[rows]), blocks))
        self.bias = None if bias is None else nn.Parameter(bias.detach().float(), False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        leading = x.shape[:-1]
        rows = x.reshape(-1, self.in_features).float()
        kept = rows.index_select(1, self.kept_dims)
        # One call per row: the dynamic linear quantizes its whole input with one scale. Every
        # block quantizes the row alike, so the blocks' logits join seamlessly.
        y = torch.cat(
            [
                torch.cat(
                    [
                        torch.ops.quantized.linear_dynamic(kept[i : i + 1], packed, False)
                        for packed in self._packed
                    ],
                    dim=1,
                )
                for i in range(kept.shape[0])
            ]
        )
        y.addmm_(rows.index_select(1, self.outlier_dims), self.outlier_weight)
        if self.bias is not None:
            y = y + self.bias
        return y.to(self.compute_dtype).reshape(*leading, self.out_features)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, int8 x int8, "
            f"{len(self.outlier_dims)} dimensions in fp32"
        )


def _pack(rows_int8: torch.Tensor, row_scales: torch.Tensor) -> Any:
    """int8 rows with per-row scales -> the quantized engine's packed weight."""
    quantized = torch._make_per_channel_quantized_tensor(
        rows_int8.contiguous(),
        row_scales,
        torch.zeros(rows_int8.shape[0], dtype=torch.long),
        0,
    )
    return torch.ops.quantized.linear_prepack(quantized, None)


def speed_up_int8_output_layer(model: Any, tokenizer: Any) -> str:
    """Replace an int8 model's weight-only output layer with Int8ActivationLinear when this CPU's
    torch has the kernel. Returns a one-line account of the output layer's kernel and why, for
    Diagnostics. Tied weights: the embedding keeps its int8 rows (a lookup reads one row).
    """
    head = _output_layer(model)
    if not isinstance(head, Int8Linear):
        return "output layer: as loaded"
    if not integer_kernel_available():
        return (
            "output layer: weight-only int8 (this torch build has no quantized engine for "
            "int8 x int8 here)"
        )
    dims = _largest_input_dimensions(model, tokenizer, OUTLIER_DIMENSIONS)
    try:
        fast = Int8ActivationLinear(
            head.weight_int8, head.scales, dims, head.bias, head.compute_dtype
        )
    except (RuntimeError, AttributeError, NotImplementedError) as exc:  # a torch without them
        logger.warning("int8 x int8 output layer unavailable; keeping weight-only", exc_info=True)
        return f"output layer: weight-only int8 (the quantized engine refused: {exc})"
    model.set_output_embeddings(fast)
    engine = torch.backends.quantized.engine
    # What was chosen, not how fast it is: speed is the benchmark's to measure on each machine.
    return f"output layer: int8 x int8 ({engine} engine), {len(dims)} input dimensions in fp32"


def _largest_input_dimensions(model: Any, tokenizer: Any, count: int) -> torch.Tensor:
    """The ``count`` input dimensions of the output layer with the largest magnitude over
    CALIBRATION_TEXT (the decoder's final hidden states are the output layer's input)."""
    ids = tokenizer(CALIBRATION_TEXT, return_tensors="pt")["input_ids"]
    decoder = decoder_of(model)
    with torch.inference_mode():
        if decoder is not None:
            hidden = decoder(input_ids=ids, use_cache=False).last_hidden_state
        else:
            hidden = model(input_ids=ids, output_hidden_states=True).hidden_states[-1]
    magnitude = hidden.float().reshape(-1, hidden.shape[-1]).abs().amax(dim=0)
    return magnitude.topk(min(count, magnitude.numel())).indices.sort().values


def _output_layer(model: Any) -> Any:
    get_out = getattr(model, "get_output_embeddings", None)
    return get_out() if callable(get_out) else None
