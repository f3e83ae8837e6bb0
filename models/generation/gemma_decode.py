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
from torch.nn import functional as F
from transformers.models.gemma3.modeling_gemma3 import (
    Gemma3Attention,
    Gemma3DecoderLayer,
    Gemma3ForCausalLM,
    Gemma3MLP,
    Gemma3TextModel,
)

from penwright.models.generation.forward import decode_step
from penwright.models.generation.sliding_cache import GrowingLayer, RollbackSlidingLayer
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
    """What one decoder layer's step needs, looked up once: the tensors the modules hold (the
    same objects, not copies), the int8 products joined from them and the q/k norm scales laid
    out per head."""

    attention: Any  # the Gemma3Attention (the attention function reads it)
    act_fn: Any  # the MLP's activation module
    layer_type: str
    norm_scales: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]  # in layer order
    qkv: tuple[torch.Tensor, torch.Tensor]  # int8 rows (q + k + v outputs, hidden), scales
    qk_scale: torch.Tensor  # (q heads + k heads, head_dim): each head's norm scale
    o: tuple[torch.Tensor, torch.Tensor]
    gate_up: tuple[torch.Tensor, torch.Tensor]  # int8 rows (2 * intermediate, hidden), scales
    down: tuple[torch.Tensor, torch.Tensor]


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
        self._hidden_size = config.hidden_size
        first = self._text.layers[0]
        self._eps = first.input_layernorm.eps  # every norm's (see _layer_serves)
        self._dtype = self._text.layers[0].self_attn.q_proj.compute_dtype
        # Hooks that come later (the engine's cancel check on each layer, while prefilling)
        # must see the step they watch: a step that finds one on any module takes the
        # ordinary forward (a few hundred dictionary checks, microseconds a step).
        self._watched = list(model.modules())
        self._sliding_window = config.sliding_window
        self._layers = [
            self._prepare(layer, config.layer_types[index])
            for index, layer in enumerate(self._text.layers[: config.num_hidden_layers])
        ]

    @classmethod
    def for_model(cls, model: Any) -> GemmaDecodeStep | None:
        """The written-out step for ``model``, or None where it would not give exactly what the
        model's forward gives (see the module's docstring). Rebinds the int8 buffers of the
        joined projections to views of the joined rows (same values, see _join_rows)."""
        if not _serves(model):
            return None
        return cls(model)

    def __call__(self, model: Any, tokens: torch.Tensor, kv: Any) -> torch.Tensor:
        if (
            model is not self._model
            or tokens.shape[0] > KERNEL_MAX_ROWS
            or _hooked(model, self._watched)
            or not self._windowed(kv)
        ):
            return decode_step(model, tokens, kv)
        with torch.inference_mode():
            return self._step(tokens, kv)

    def _windowed(self, kv: Any) -> bool:
        """Whether ``kv`` hands each sliding layer only its window, as the step's missing mask
        assumes (models.generation.sliding_cache; a plain DynamicCache() keeps every key)."""
        layers = getattr(kv, "layers", None)
        if layers is None or len(layers) < len(self._layers):
            return False
        for layer, prepared in zip(layers, self._layers, strict=False):
            sliding = prepared.layer_type == "sliding_attention"
            if sliding != isinstance(layer, RollbackSlidingLayer):
                return False
            if sliding and layer.sliding_window != self._sliding_window:
                return False
            if not sliding and not isinstance(layer, GrowingLayer):
                return False
        return True

    def _step(self, tokens: torch.Tensor, kv: Any) -> torch.Tensor:
        rows = tokens.shape[0]
        text = self._text
        q_heads, kv_heads, head_dim = self._q_heads, self._kv_heads, self._head_dim
        normed_heads, half = q_heads + kv_heads, head_dim // 2
        hidden_size, intermediate, eps = self._hidden_size, self._intermediate, self._eps
        norm_shape = (hidden_size,)
        rms_norm, int8_product = F.rms_norm, torch._weight_int8pack_mm
        embedded = text.embed_tokens(tokens)  # (rows, 1, hidden)
        position_ids = torch.tensor([[kv.get_seq_length()]], device=tokens.device)
        rotations = {
            kind: text.rotary_emb(embedded, position_ids, kind) for kind in self._layer_types
        }
        # (rows, hidden) from here on: what every module reshapes its input to.
        hidden = embedded.view(rows, hidden_size)
        for index, layer in enumerate(self._layers):
            cos, sin = rotations[layer.layer_type]  # (1, 1, head_dim)
            input_scale, post_attention_scale, pre_mlp_scale, post_mlp_scale = layer.norm_scales

            # Each norm as FusedGemmaRMSNorm computes it: in fp32, scaled, cast back.
            normed = rms_norm(hidden.float(), norm_shape, input_scale, eps).type_as(hidden)
            qkv = int8_product(normed.to(self._dtype), *layer.qkv)
            qkv = qkv.view(rows, normed_heads + kv_heads, head_dim)
            qk = rms_norm(qkv[:, :normed_heads].float(), (head_dim,), None, eps)
            qk = qk.mul_(layer.qk_scale).type_as(qkv)
            # transformers' apply_rotary_pos_emb: x * cos + rotate_half(x) * sin.
            qk = (qk * cos) + (torch.cat((-qk[..., half:], qk[..., :half]), dim=-1) * sin)
            query = qk[:, :q_heads].unsqueeze(2)  # (rows, heads, 1, head_dim)
            key = qk[:, q_heads:].unsqueeze(2)
            value = qkv[:, normed_heads:].unsqueeze(2)
            key, value = kv.update(key, value, index)
            # No mask: one new token sees every key it is handed (a sliding layer's cache
            # hands over only its window), as transformers' mask for this case says.
            attended, _ = packed_decode_attention(
                layer.attention, query, key, value, None, scaling=layer.attention.scaling
            )
            attended = int8_product(attended.view(rows, -1).to(self._dtype), *layer.o)
            normed = rms_norm(attended.float(), norm_shape, post_attention_scale, eps)
            hidden = hidden + normed.type_as(attended)

            normed = rms_norm(hidden.float(), norm_shape, pre_mlp_scale, eps).type_as(hidden)
            gate_up = int8_product(normed.to(self._dtype), *layer.gate_up)
            # Contiguous, as gate_proj's output is: the kernel's vector and scalar tails then
            # fall on the same elements, whatever the rows and threads.
            gate = gate_up[:, :intermediate].contiguous()
            product = layer.act_fn(gate) * gate_up[:, intermediate:]
            down = int8_product(product.to(self._dtype), *layer.down)
            normed = rms_norm(down.float(), norm_shape, post_mlp_scale, eps)
            hidden = hidden + normed.type_as(down)

        hidden = text.norm(hidden)
        logits = self._model.lm_head(hidden)  # (rows, vocabulary)
        if self._softcap is not None:
            logits = torch.tanh(logits / self._softcap) * self._softcap
        return logits

    def _prepare(self, layer: Any, layer_type: str) -> _Layer:
        attention, mlp = layer.self_attn, layer.mlp
        qk_scale = torch.cat(
            [
                attention.q_norm.scale.expand(self._q_heads, -1),
                attention.k_norm.scale.expand(self._kv_heads, -1),
            ]
        )
        norm_scales = (
            layer.input_layernorm.scale, layer.post_attention_layernorm.scale,
            layer.pre_feedforward_layernorm.scale, layer.post_feedforward_layernorm.scale,
        )  # fmt: skip
        return _Layer(
            attention=attention,
            act_fn=mlp.act_fn,
            layer_type=layer_type,
            norm_scales=norm_scales,
            qkv=_join_rows([attention.q_proj, attention.k_proj, attention.v_proj]),
            qk_scale=qk_scale,
            o=(attention.o_proj.weight_int8, attention.o_proj.scales),
            gate_up=_join_rows([mlp.gate_proj, mlp.up_proj]),
            down=(mlp.down_proj.weight_int8, mlp.down_proj.scales),
        )


def _join_rows(projections: list[Any]) -> tuple[torch.Tensor, torch.Tensor]:
    """One (rows, scales) pair for projections that read the same input; each projection's
    buffers become views of it, so the int8 rows are held once.

    Views of one tensor cannot be written by safetensors' ``save_file`` ("tensors share
    memory"): nothing saves a model after the engine attaches it; anything that comes to must
    clone its state dict first.
    """
    joined = _already_joined(projections)
    if joined is not None:  # a second step for the same model (the engine attached it again)
        return joined
    rows = torch.cat([projection.weight_int8 for projection in projections])
    scales = torch.cat([projection.scales for projection in projections])
    start = 0
    for projection in projections:
        end = start + projection.out_features
        projection.weight_int8 = rows[start:end]
        projection.scales = scales[start:end]
        start = end
    return rows, scales


def _already_joined(projections: list[Any]) -> tuple[torch.Tensor, torch.Tensor] | None:
    """The (rows, scales) the projections are already consecutive views of, if they are."""
    rows, scales = projections[0].weight_int8._base, projections[0].scales._base
    if rows is None or scales is None:
        return None
    start = 0
    for projection in projections:
        weight, scale = projection.weight_int8, projection.scales
        if weight._base is not rows or scale._base is not scales:
            return None
        if weight.storage_offset() != start * weight.shape[1] or scale.storage_offset() != start:
            return None
        start += projection.out_features
    if rows.shape[0] != start or scales.shape[0] != start:
        return None
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
        or any("forward" in vars(module) for module in model.modules())  # e.g. accelerate's
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
    if {norm.eps for norm in norms} != {config.rms_norm_eps}:  # the step uses one epsilon
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
