"""One decode step of an int8 Gemma 3 text model on the CPU, written out rather than run
through transformers' modules.

Why: a decode step of Gemma 3 270M is 18 layers of about 80 small tensor operations, most on
vectors of 256-2,048 numbers, so Python and dispatch cost as much as arithmetic. transformers
adds to each step the building of two attention masks (for one token and no padding there is
nothing to mask), the rotary setup, keyword plumbing and output recording in every layer. The
torch profiler on the development CPU (AMD EPYC, 2 threads, a 1,914-token document) put the
kernels of a step at about 23 ms and the step at 30-33 ms.

The step here calls the same kernels on the same weights in the same order, so its logits are
bit for bit those of the model's own forward, and greedy decoding still equals ``generate``
(tests compare both, with one row and with several). Two things are arranged differently,
without changing any arithmetic:
- The q, k and v projections are one int8 product, and so are gate and up. The kernel computes
  each output row on its own, so the joined product gives the same numbers. The modules keep
  views of the joined rows, so the weights are not stored twice.
- q and k are normalised in one ``rms_norm`` call and rotated together. Both are normalised per
  head, and ``F.rms_norm`` scales after normalising, as is done here.

It serves only what it was written for: an eval-mode Gemma3ForCausalLM on the CPU, with int8
projections (models.loading.quantize), the fused norms (models.loading.fused_norms) and the
packed decode attention (models.loading.decode_attention), and a cache of transformers' layer
interface. Anything else, and any step with more rows than the int8 kernel takes, gets the
ordinary forward.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from transformers.models.gemma3.modeling_gemma3 import (
    Gemma3Attention,
    Gemma3DecoderLayer,
    Gemma3ForCausalLM,
    Gemma3MLP,
    Gemma3TextModel,
)

from penwright.models.generation.forward import decode_step
from penwright.models.loading.decode_attention import (
    PACKED_DECODE_ATTENTION,
    packed_decode_attention,
)
from penwright.models.loading.fused_norms import FusedGemmaRMSNorm
from penwright.models.loading.quantize import KERNEL_MAX_ROWS, Int8Linear

WRITTEN_OUT_DECODE_PATH = "eager, Gemma 3 step written out"
"""ModelInfo.decode_path when the engine decodes with GemmaDecodeStep."""

# The fused int8 kernel reads its weight with aligned AVX-512 loads (models.loading.quantize).
_ALIGNMENT = 64


@dataclass(frozen=True)
class _Layer:
    """What one decoder layer's step needs, looked up once."""

    # Gemma3DecoderLayer and its Gemma3Attention, holding penwright's int8 and norm modules.
    layer: Any
    attention: Any
    layer_type: str
    qkv_rows: torch.Tensor  # int8 (q + k + v outputs, hidden)
    qkv_scales: torch.Tensor
    gate_up_rows: torch.Tensor  # int8 (2 * intermediate, hidden)
    gate_up_scales: torch.Tensor
    qk_scale: torch.Tensor  # (q heads + k heads, head_dim): each head's norm scale


class GemmaDecodeStep:
    """The engine's DecodeStep for one model: (model, tokens (rows, 1), kv) -> logits (rows, V).

    Built with ``for_model``, which returns None for a model it does not serve.
    """

    def __init__(self, model: Gemma3ForCausalLM) -> None:
        self._model = model
        self._text: Gemma3TextModel = model.model
        config = self._text.config
        self._softcap: float | None = model.config.final_logit_softcapping
        self._layer_types = sorted(set(config.layer_types))
        self._q_heads = config.num_attention_heads
        self._kv_heads = config.num_key_value_heads
        self._head_dim = config.head_dim
        self._intermediate = config.intermediate_size
        self._eps = self._text.layers[0].self_attn.q_norm.eps
        self._dtype = self._text.layers[0].self_attn.q_proj.compute_dtype
        # Hooks that come later (the engine's cancel check on each layer, while prefilling)
        # go on the model or its layers: a step that finds one takes the ordinary forward.
        self._watched = [model, self._text, *self._text.layers]
        self._layers = [
            self._prepare(layer, config.layer_types[index])
            for index, layer in enumerate(self._text.layers[: config.num_hidden_layers])
        ]

    @classmethod
    def for_model(cls, model: Any) -> GemmaDecodeStep | None:
        """The written-out step for ``model``, or None where it would not give exactly what the
        model's forward gives (see the module's docstring)."""
        if not _serves(model):
            return None
        return cls(model)

    def __call__(self, model: Any, tokens: torch.Tensor, kv: Any) -> torch.Tensor:
        if (
            model is not self._model
            or tokens.shape[0] > KERNEL_MAX_ROWS
            or _hooked(model, self._watched)
        ):
            return decode_step(model, tokens, kv)
        with torch.inference_mode():
            return self._step(tokens, kv)

    def _step(self, tokens: torch.Tensor, kv: Any) -> torch.Tensor:
        rows = tokens.shape[0]
        text = self._text
        q_heads, kv_heads, head_dim = self._q_heads, self._kv_heads, self._head_dim
        normed_heads = q_heads + kv_heads
        hidden = text.embed_tokens(tokens)  # (rows, 1, hidden)
        position_ids = torch.tensor([[kv.get_seq_length()]], device=tokens.device)
        rotations = {
            kind: text.rotary_emb(hidden, position_ids, kind) for kind in self._layer_types
        }
        for index, prepared in enumerate(self._layers):
            layer, attention = prepared.layer, prepared.attention
            cos, sin = rotations[prepared.layer_type]  # (1, 1, head_dim)

            residual = hidden
            normed = layer.input_layernorm(hidden).reshape(rows, -1).to(self._dtype)
            qkv = torch._weight_int8pack_mm(normed, prepared.qkv_rows, prepared.qkv_scales)
            qkv = qkv.view(rows, normed_heads + kv_heads, head_dim)
            # Gemma3RMSNorm (as FusedGemmaRMSNorm): normalise in fp32, scale, cast back.
            qk = torch.nn.functional.rms_norm(
                qkv[:, :normed_heads].float(), (head_dim,), None, self._eps
            )
            qk = qk.mul_(prepared.qk_scale).type_as(qkv)
            # transformers' apply_rotary_pos_emb: x * cos + rotate_half(x) * sin.
            half = head_dim // 2
            qk = (qk * cos) + (torch.cat((-qk[..., half:], qk[..., :half]), dim=-1) * sin)
            query = qk[:, :q_heads].unsqueeze(2)  # (rows, heads, 1, head_dim)
            key = qk[:, q_heads:].unsqueeze(2)
            value = qkv[:, normed_heads:].unsqueeze(2)
            key, value = kv.update(key, value, index)
            # No mask: one new token sees every key it is handed (a sliding layer's cache
            # hands over only its window), as transformers' mask for this case says.
            attended, _ = packed_decode_attention(
                attention, query, key, value, None, scaling=attention.scaling
            )
            attended = attention.o_proj(attended.reshape(rows, 1, -1))
            hidden = residual + layer.post_attention_layernorm(attended)

            residual = hidden
            normed = layer.pre_feedforward_layernorm(hidden).reshape(rows, -1).to(self._dtype)
            gate_up = torch._weight_int8pack_mm(
                normed, prepared.gate_up_rows, prepared.gate_up_scales
            )
            mlp = layer.mlp
            product = (
                mlp.act_fn(gate_up[:, : self._intermediate]) * gate_up[:, self._intermediate :]
            )
            down = mlp.down_proj(product.reshape(rows, 1, -1))
            hidden = residual + layer.post_feedforward_layernorm(down)

        hidden = text.norm(hidden)
        logits = self._model.lm_head(hidden)
        if self._softcap is not None:
            logits = torch.tanh(logits / self._softcap) * self._softcap
        return logits[:, -1, :]

    def _prepare(self, layer: Any, layer_type: str) -> _Layer:
        attention, mlp = layer.self_attn, layer.mlp
        qkv_rows, qkv_scales = _join_rows([attention.q_proj, attention.k_proj, attention.v_proj])
        gate_up_rows, gate_up_scales = _join_rows([mlp.gate_proj, mlp.up_proj])
        qk_scale = torch.cat(
            [
                attention.q_norm.scale.expand(self._q_heads, -1),
                attention.k_norm.scale.expand(self._kv_heads, -1),
            ]
        )
        return _Layer(
            layer, attention, layer_type, qkv_rows, qkv_scales, gate_up_rows, gate_up_scales,
            qk_scale,
        )  # fmt: skip


def _join_rows(projections: list[Any]) -> tuple[torch.Tensor, torch.Tensor]:
    """One (rows, scales) pair for projections that read the same input; each projection's
    buffers become views of it, so the int8 rows are held once."""
    rows = torch.cat([projection.weight_int8 for projection in projections])
    scales = torch.cat([projection.scales for projection in projections])
    start = 0
    for projection in projections:
        end = start + projection.out_features
        projection.weight_int8 = rows[start:end]
        projection.scales = scales[start:end]
        start = end
    return rows, scales


def _serves(model: Any) -> bool:
    """Whether GemmaDecodeStep computes exactly what ``model``'s forward computes."""
    if type(model) is not Gemma3ForCausalLM or type(model.model) is not Gemma3TextModel:
        return False
    config = model.model.config
    if (
        model.training
        or model.device.type != "cpu"
        or model.config._attn_implementation != PACKED_DECODE_ATTENTION
        or getattr(config, "use_bidirectional_attention", False)
        or set(config.layer_types or ()) - {"full_attention", "sliding_attention"}
        or _hooked(model)
    ):
        return False
    layers = model.model.layers[: config.num_hidden_layers]
    return (
        bool(layers)
        and all(_layer_serves(layer, config) for layer in layers)
        and (type(model.model.norm) is FusedGemmaRMSNorm)
    )


def _layer_serves(layer: Any, config: Any) -> bool:
    if type(layer) is not Gemma3DecoderLayer:
        return False
    attention, mlp = layer.self_attn, layer.mlp
    if type(attention) is not Gemma3Attention or type(mlp) is not Gemma3MLP:
        return False
    norms = [
        layer.input_layernorm, layer.post_attention_layernorm, layer.pre_feedforward_layernorm,
        layer.post_feedforward_layernorm, attention.q_norm, attention.k_norm,
    ]  # fmt: skip
    projections = [
        attention.q_proj, attention.k_proj, attention.v_proj, attention.o_proj,
        mlp.gate_proj, mlp.up_proj, mlp.down_proj,
    ]  # fmt: skip
    if not all(type(norm) is FusedGemmaRMSNorm for norm in norms):
        return False
    if attention.q_norm.eps != attention.k_norm.eps:
        return False
    if not all(type(p) is Int8Linear and p.bias is None for p in projections):
        return False
    dtypes = {p.compute_dtype for p in projections}
    if len(dtypes) != 1:
        return False
    # Every joined projection must start on an aligned byte (row offset times row length).
    offsets = [
        0,
        attention.q_proj.out_features,
        attention.q_proj.out_features + attention.k_proj.out_features,
    ]
    if any(
        offset * config.hidden_size % _ALIGNMENT
        for offset in [*offsets, mlp.gate_proj.out_features]
    ):
        return False
    return bool(
        attention.q_proj.out_features == config.num_attention_heads * config.head_dim
        and attention.k_proj.out_features == config.num_key_value_heads * config.head_dim
        and attention.v_proj.out_features == config.num_key_value_heads * config.head_dim
    )


def _hooked(model: nn.Module, modules: Any = None) -> bool:
    """Whether forward hooks watch ``modules`` (all of ``model``'s by default): the written-out
    step would skip them."""
    if nn.modules.module._global_forward_hooks or nn.modules.module._global_forward_pre_hooks:
        return True
    watched = model.modules() if modules is None else modules
    return any(module._forward_hooks or module._forward_pre_hooks for module in watched)
