"""Attention for one new token on the CPU, with the query heads that share a key/value head laid
out as that head's queries.

Why: Gemma 3 has 4 query heads per key/value head. For a single new token, transformers' SDPA
path passes torch's CPU kernel the grouped query with ``enable_gqa=True``. In bf16 (the int8
model's compute dtype) that kernel took 0.9 ms over 512 keys and about 4 ms over 1,915 keys, on
one core of the development CPU (AMD EPYC, AVX-512 bf16). That was about a quarter of a decode
step: 18 layers, every token. The same attention with the 4 queries given as 4 positions of the
one key/value head, none of them masked from any key, took 80 and 290 us. transformers does this
itself ("pack_gqa") only where it cannot use ``enable_gqa``.

For one new token the rewrite is exact in meaning: every query sees every key it is handed (a
sliding layer is handed only its window, models.generation.sliding_cache), so there is no
causal mask to keep. A mask shared by all heads, with shape (batch, 1, 1, keys), broadcasts over
the packed queries unchanged. Anything else (prefill chunks, per-head masks, soft-capping) goes
to transformers' own SDPA function untouched. Since the model carries this as its attention
implementation, ``model.generate`` runs it too: greedy decoding still equals generate.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.nn import functional as F
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, AttentionMaskInterface

PACKED_DECODE_ATTENTION = "penwright_packed_decode_sdpa"
"""The attention implementation's name in transformers' registry (and the model's config)."""


def packed_decode_attention(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    """transformers' attention-function signature: (batch, heads, queries, dim) in; (batch,
    queries, heads, dim) out, as ``sdpa_attention_forward`` returns it."""
    groups = getattr(module, "num_key_value_groups", 1)
    batch, heads, queries, _ = query.shape
    shared_mask = attention_mask is None or attention_mask.shape[1] == 1
    if (
        queries != 1
        or groups == 1
        or not shared_mask
        or dropout
        or kwargs.get("softcap") is not None
        or kwargs.get("position_bias") is not None
    ):
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs
        )
    # Head h reads key/value head h // groups (transformers' repeat_kv order), so the heads of
    # one key/value head are consecutive and one reshape packs them.
    packed = query.reshape(batch, heads // groups, groups, query.shape[-1])
    output = F.scaled_dot_product_attention(
        packed, key, value, attn_mask=attention_mask, scale=scaling
    )
    return output.reshape(batch, heads, 1, value.shape[-1]).transpose(1, 2).contiguous(), None


def use_packed_decode_attention(model: Any) -> bool:
    """Switch a CPU ``model`` that uses transformers' SDPA to packed_decode_attention; returns
    whether it did (models with another attention implementation keep theirs)."""
    config = getattr(model, "config", None)
    if config is None or getattr(config, "_attn_implementation", None) != "sdpa":
        return False
    if PACKED_DECODE_ATTENTION not in ALL_MASK_ATTENTION_FUNCTIONS:
        AttentionInterface.register(PACKED_DECODE_ATTENTION, packed_decode_attention)
        # The same masks as SDPA's, including leaving them out where is_causal does the job.
        AttentionMaskInterface.register(
            PACKED_DECODE_ATTENTION, ALL_MASK_ATTENTION_FUNCTIONS["sdpa"]
        )
    model.set_attn_implementation(PACKED_DECODE_ATTENTION)
    return bool(config._attn_implementation == PACKED_DECODE_ATTENTION)
