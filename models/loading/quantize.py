"""Weight-only int8 quantization of a loaded causal LM, for fast CPU decoding.

Why: decoding one token reads every weight once, so on a CPU decode speed is bounded by the bytes
of weights read per token. Gemma 3 270M spends 168M of its 268M parameters on the tied
262k x 640 embedding / output layer. Storing all linear weights as int8 with one scale per output
row quarters those bytes (versus fp32), and PyTorch has a CPU kernel for exactly this
(``torch._weight_int8pack_mm``: bf16 activations x int8 weights x per-row scales), measured at
~5 ms for the output layer where fp32 takes ~45 ms and bf16 ~12 ms (2 AVX-512 cores).

The kernel is only fast with bf16 activations, so a quantized model computes in bf16; RMSNorm
and softmax in the model still upcast to fp32 internally as they always do.

The tied embedding shares the output layer's int8 rows and scales: an embedding row IS an output
row, so per-row scales serve both the lookup and the matmul, and the fp32 table is freed.

Correctness rule: greedy decoding of the quantized model equals ``model.generate(do_sample=False)``
on the same quantized model (the modules are ordinary nn.Modules, so generate just works).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F

INT8_MAX = 127

KERNEL_MAX_ROWS = 32
"""Above this many rows (tokens) per matmul, dequantize to bf16 and use the ordinary matmul.

The int8 kernel is a matrix-vector kernel: measured on 1 core (640 -> 2048 weights), it wins at
1-8 rows (0.03 vs 0.11 ms bf16 at 1 row) but loses at 64 rows (1.1 vs 0.64 ms dequantize + bf16)
and badly at 512 (13.4 vs 6.1 ms). Decoding feeds 1..n rows; prefill chunks feed hundreds.
"""


PREFILL_COPY_MAX_WEIGHTS = 8 * 2**20
"""Linears up to this many weights keep their int8 rows converted to ``compute_dtype`` after their
first many-row product, for the next prefill chunks: converting the decoder's 100M int8 weights
again for every chunk was most of the gap between int8's cold prefill and bf16's (the default
model: 2.7-3.4 s vs 2.3-2.4 s for 1,914 tokens). The copies cost 2 bytes a weight (200 MB for the
default model's decoder). The 262k x 640 output layer (168M weights) never keeps one: it multiplies
more than a few rows only when ranking candidates."""

_TINY = torch.finfo(torch.float32).tiny

ROWS_PER_BLOCK = 8192
"""Rows quantized at a time: the float temporaries of a whole 262k x 640 table would add
~2 GB to peak memory; blocks of 8192 rows add ~20 MB."""


def quantize_rows_int8(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric per-row int8: returns (int8 [rows, cols], fp32 scales [rows]); w ~ q * scale."""
    rows = weight.shape[0]
    q = torch.empty(weight.shape, dtype=torch.int8, device=weight.device)
    scales = torch.empty(rows, dtype=torch.float32, device=weight.device)
    for start in range(0, rows, ROWS_PER_BLOCK):
        block = weight.detach()[start : start + ROWS_PER_BLOCK].float()
        # A zero row would give scale 0 and 0/0 = NaN; any positive scale represents it exactly.
        block_scales = (block.abs().amax(dim=1) / INT8_MAX).clamp(min=_TINY)
        scaled = torch.round(block / block_scales[:, None]).clamp_(-INT8_MAX, INT8_MAX)
        q[start : start + ROWS_PER_BLOCK] = scaled.to(torch.int8)
        scales[start : start + ROWS_PER_BLOCK] = block_scales
    return q, scales


class Int8Linear(nn.Module):
    """y = x @ (q * scale).T + bias with int8 weights q [out, in] and per-row scales [out].

    On the CPU, for a few rows (decoding), this calls PyTorch's fused weight-only int8 kernel; for
    many rows (prefill), or off the CPU, it dequantizes on the fly and uses the ordinary matmul
    (correct everywhere, tuned for the CPU: on a GPU prefer plain bf16). Activations are computed in
    ``compute_dtype`` (bf16: the kernel's fast path) and returned in that dtype.

    ``weight_int8`` must start on a 64-byte boundary (torch's own allocations do): the fused
    kernel reads it with aligned AVX-512 loads and crashes the process otherwise. Tensors read
    from a file may not be: penwright.models.loading.int8_cache aligns what it loads.
    """

    weight_int8: torch.Tensor
    scales: torch.Tensor

    def __init__(
        self,
        weight_int8: torch.Tensor,
        scales: torch.Tensor,
        bias: torch.Tensor | None,
        compute_dtype: torch.dtype,
    ) -> None:
        super().__init__()
        self.in_features = weight_int8.shape[1]
        self.out_features = weight_int8.shape[0]
        self.compute_dtype = compute_dtype
        self.register_buffer("weight_int8", weight_int8)
        self.register_buffer("scales", scales.to(compute_dtype))
        self.bias = None if bias is None else nn.Parameter(bias.detach().to(compute_dtype), False)

    @classmethod
    def from_linear(cls, linear: nn.Linear, compute_dtype: torch.dtype) -> Int8Linear:
        q, scales = quantize_rows_int8(linear.weight)
        return cls(q, scales, linear.bias, compute_dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        leading = x.shape[:-1]
        x2d = x.reshape(-1, self.in_features).to(self.compute_dtype)
        if x2d.device.type == "cpu" and x2d.shape[0] <= KERNEL_MAX_ROWS:
            y = torch._weight_int8pack_mm(x2d, self.weight_int8, self.scales)
        else:
            y = F.linear(x2d, self._converted_rows()) * self.scales
        if self.bias is not None:
            y = y + self.bias
        return y.reshape(*leading, self.out_features)

    def _converted_rows(self) -> torch.Tensor:
        """The int8 rows in compute_dtype (exact: |q| <= 127), kept for small layers."""
        converted: torch.Tensor | None = getattr(self, "_prefill_copy", None)
        if converted is not None and converted.device == self.weight_int8.device:
            return converted
        converted = self.weight_int8.to(self.compute_dtype)
        if self.weight_int8.numel() <= PREFILL_COPY_MAX_WEIGHTS:
            self._prefill_copy = converted  # a plain attribute: not saved, not a buffer
        return converted

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, int8"


class Int8Embedding(nn.Module):
    """An embedding lookup from int8 rows with per-row scales, times a constant scale.

    ``embed_scale`` carries a scaled embedding's constant (Gemma multiplies embeddings by
    sqrt(hidden_size)); it is applied in ``compute_dtype`` like the original module does.
    """

    weight_int8: torch.Tensor
    scales: torch.Tensor
    embed_scale_t: torch.Tensor

    def __init__(
        self,
        weight_int8: torch.Tensor,
        scales: torch.Tensor,
        compute_dtype: torch.dtype,
        embed_scale: float = 1.0,
        padding_idx: int | None = None,
    ) -> None:
        super().__init__()
        self.num_embeddings, self.embedding_dim = weight_int8.shape
        self.compute_dtype = compute_dtype
        self.embed_scale = embed_scale
        self.padding_idx = padding_idx
        self.register_buffer("weight_int8", weight_int8)
        self.register_buffer("scales", scales.to(compute_dtype))
        self.register_buffer(
            "embed_scale_t", torch.tensor(embed_scale, dtype=compute_dtype), persistent=False
        )

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        rows = F.embedding(input_ids, self.weight_int8).to(self.compute_dtype)
        scaled = rows * self.scales[input_ids].unsqueeze(-1)
        return scaled * self.embed_scale_t

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}, int8, embed_scale={self.embed_scale}"


def _embed_scale_of(embedding: nn.Module) -> float:
    # Gemma3TextScaledWordEmbedding keeps its constant as a float and a buffer; plain ones don't.
    scalar = getattr(embedding, "scalar_embed_scale", None)
    if scalar is not None:
        return float(scalar)
    buffer = getattr(embedding, "embed_scale", None)
    return float(buffer) if isinstance(buffer, torch.Tensor | float | int) else 1.0


RowQuantizer = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
"""float weight [rows, cols] -> (int8 rows, fp32 scales): quantize_rows_int8, or a stand-in."""


def _replace_linears(
    module: nn.Module, compute_dtype: torch.dtype, skip: nn.Module | None, rows: RowQuantizer
) -> int:
    replaced = 0
    for name, child in list(module.named_children()):
        if child is skip:
            continue
        if isinstance(child, nn.Linear):
            q, scales = rows(child.weight)
            setattr(module, name, Int8Linear(q, scales, child.bias, compute_dtype))
            replaced += 1
        else:
            replaced += _replace_linears(child, compute_dtype, skip, rows)
    return replaced


def quantize_int8_weight_only(
    model: nn.Module, compute_dtype: torch.dtype = torch.bfloat16
) -> nn.Module:
    """Quantize, in place, every nn.Linear and the input/output embeddings of a causal LM.

    The model must be a transformers PreTrainedModel (it needs get_input_embeddings and
    get_output_embeddings) on the CPU. The float parameters left (norms, biases) are cast to
    ``compute_dtype``. Returns the same model, in eval mode, for chaining.
    """
    with torch.no_grad():
        _swap_in_int8_modules(model, compute_dtype, quantize_rows_int8)
    return model.eval()


def empty_int8_model(model: nn.Module, compute_dtype: torch.dtype = torch.bfloat16) -> nn.Module:
    """Give a model built on the meta device (no weights) the structure quantize_int8_weight_only
    makes: Int8 modules whose int8 rows and scales are meta tensors, to be filled by
    ``load_state_dict(state, assign=True)`` with a state dict of a quantized model.

    Tied weights are tied here too: the output layer's ``weight_int8`` and ``scales`` are the
    embedding's tensor objects, so a state dict filling the embedding's must fill the head's
    with the same tensors (see ``tied_state_keys``).
    """

    def meta_rows(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return (
            torch.empty(weight.shape, dtype=torch.int8, device="meta"),
            torch.empty(weight.shape[0], dtype=torch.float32, device="meta"),
        )

    _swap_in_int8_modules(model, compute_dtype, meta_rows)
    return model.eval()


def tied_state_keys(model: nn.Module) -> dict[str, str]:
    """{state-dict key: earlier key holding the same tensor object} (tied weights), so a
    checkpoint stores each shared tensor once and a loader can tie them again."""
    first_key: dict[int, str] = {}
    tied: dict[str, str] = {}
    for key, tensor in model.state_dict(keep_vars=True).items():
        earlier = first_key.setdefault(id(tensor), key)
        if earlier != key:
            tied[key] = earlier
    return tied


def int8_parameter_count(model: nn.Module) -> int:
    """The parameters the model stands for: float parameters plus int8 weights (tied ones once);
    the same number as the float model it was quantized from."""
    # parameters() and buffers() list a tied tensor once; scales and other buffers are not weights
    weights = {
        id(t): t
        for t in [*model.parameters(), *model.buffers()]
        if isinstance(t, nn.Parameter) or t.dtype == torch.int8
    }
    return sum(t.numel() for t in weights.values())


def _swap_in_int8_modules(model: nn.Module, compute_dtype: torch.dtype, rows: RowQuantizer) -> None:
    get_in = getattr(model, "get_input_embeddings", None)
    get_out = getattr(model, "get_output_embeddings", None)
    if get_in is None or get_out is None:
        raise TypeError(f"{type(model).__name__} has no input/output embeddings to quantize")
    embedding: nn.Embedding = get_in()
    lm_head: nn.Linear | None = get_out()

    embed_q, embed_scales = rows(embedding.weight)
    tied = lm_head is not None and _same_tensor(lm_head.weight, embedding.weight)
    new_embedding = Int8Embedding(
        embed_q,
        embed_scales,
        compute_dtype,
        embed_scale=_embed_scale_of(embedding),
        padding_idx=embedding.padding_idx,
    )
    new_head: Int8Linear | None = None
    if lm_head is not None:
        if tied:
            # Tied weights: the output layer reuses the embedding's int8 rows and scales (the
            # very tensors: already in compute_dtype, so Int8Linear's cast returns them as is).
            new_head = Int8Linear(
                new_embedding.weight_int8, new_embedding.scales, lm_head.bias, compute_dtype
            )
        else:
            q, scales = rows(lm_head.weight)
            new_head = Int8Linear(q, scales, lm_head.bias, compute_dtype)
    # Swap the embeddings first so the float tables are dropped, not quantized twice.
    _set_input_embeddings(model, new_embedding)
    if new_head is not None:
        _set_output_embeddings(model, new_head)
    _replace_linears(model, compute_dtype, new_head, rows)
    # Only the parameters (norms): model.to(dtype) would also round buffers such as the rotary
    # inverse frequencies, which transformers keeps in fp32 in bf16 models too.
    for param in model.parameters():
        if param.is_floating_point():
            param.data = param.data.to(compute_dtype)


def _same_tensor(a: torch.Tensor, b: torch.Tensor) -> bool:
    # Tying assigns one Parameter to both modules; meta tensors all have data_ptr 0.
    return a is b or (not a.is_meta and a.data_ptr() == b.data_ptr())


def _set_input_embeddings(model: nn.Module, embedding: nn.Module) -> None:
    model.set_input_embeddings(embedding)  # type: ignore[operator]


def _set_output_embeddings(model: nn.Module, head: nn.Module) -> None:
    model.set_output_embeddings(head)  # type: ignore[operator]
