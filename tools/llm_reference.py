"""Dev-only: the reference figures of the sequence models in the zoo, from Hugging Face transformers.

Each model is built from its published configuration (written inline: nothing is downloaded) on
PyTorch's meta device, so no weight is allocated. Printed per model: total parameters (tied
tensors once, as `model.parameters()` yields them) and the parameters of each top-level component;
the MACs of one forward pass; for the generators, the MACs of one generated token at the model's
context length with a KV cache. MACs are counted by torch.utils.flop_counter.FlopCounterMode (its
FLOPs / 2: matrix products only); one generated token is a forward of one new token over a cache of
context - 1 positions (eager attention, so the attention products are plain matmuls). The LSTM
language model (Zaremba et al. 2014, medium) is written by hand in torch.nn (embedding, nn.LSTM,
linear decoder), as the paper's code builds it.

    . .venv/bin/activate && pip install transformers && python tools/llm_reference.py [--quick]

--quick skips the MACs (the meta forward passes).

Figures printed by transformers 5.24.0 / torch 2.13.0 (recorded in the tests and the zoo specs):
    model     params         forward MACs (tokens)           MACs per generated token (context)
    gpt2        124,439,808     145,824,153,600 (1,024)           142,406,400 (1,024)
    bert_base   109,482,240      11,174,215,680 (128)
    t5_small     60,506,624      35,802,578,944 (512 + 512)        44,761,088 (512, input 512)
    llama3_8b 8,030,261,248  79,070,347,919,360 (8,192)         9,652,142,080 (8,192)
    lstm_lm      19,780,400         464,100,000 (35)
lstm_lm counts PyTorch's nn.LSTM: two bias vectors per gate set (Keras's LSTM has one: 19,775,200).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
from transformers import (
    BertConfig,
    BertModel,
    GPT2Config,
    GPT2LMHeadModel,
    LlamaConfig,
    LlamaForCausalLM,
    T5Config,
    T5ForConditionalGeneration,
)


def gpt2() -> nn.Module:
    """openai-community/gpt2 (GPT-2 small): 12 layers, 12 heads, width 768, context 1024."""
    config = GPT2Config(
        vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12, tie_word_embeddings=True
    )
    return GPT2LMHeadModel(config)


def bert_base() -> nn.Module:
    """google-bert/bert-base-uncased: 12 layers, 12 heads, width 768, 512 positions, with pooler."""
    config = BertConfig(
        vocab_size=30522,
        hidden_size=768,
        num_hidden_layers=12,
        num_attention_heads=12,
        intermediate_size=3072,
        max_position_embeddings=512,
        type_vocab_size=2,
    )
    return BertModel(config, add_pooling_layer=True)


def t5_small() -> nn.Module:
    """google-t5/t5-small: 6 + 6 layers, 8 heads of 64, width 512, FF 2048 (ReLU), 32 buckets."""
    config = T5Config(
        vocab_size=32128,
        d_model=512,
        d_kv=64,
        d_ff=2048,
        num_layers=6,
        num_decoder_layers=6,
        num_heads=8,
        relative_attention_num_buckets=32,
        relative_attention_max_distance=128,
        feed_forward_proj="relu",
        tie_word_embeddings=True,
    )
    return T5ForConditionalGeneration(config)


def llama3_8b() -> nn.Module:
    """meta-llama/Meta-Llama-3-8B config.json: 32 layers, 32 query / 8 key-value heads of 128."""
    config = LlamaConfig(
        vocab_size=128256,
        hidden_size=4096,
        intermediate_size=14336,
        num_hidden_layers=32,
        num_attention_heads=32,
        num_key_value_heads=8,
        head_dim=128,
        max_position_embeddings=8192,
        rms_norm_eps=1e-5,
        rope_theta=500000.0,
        attention_bias=False,
        mlp_bias=False,
        tie_word_embeddings=False,
    )
    return LlamaForCausalLM(config)


class LstmLM(nn.Module):
    """Zaremba et al. 2014, medium: embedding 10,000 x 650, 2-layer LSTM 650, linear decoder."""

    def __init__(self, vocab: int = 10_000, width: int = 650, layers: int = 2) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, width)
        self.lstm = nn.LSTM(width, width, layers, batch_first=True)
        self.decoder = nn.Linear(width, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.embedding(tokens))
        return self.decoder(out)


MODELS: dict[str, Callable[[], nn.Module]] = {
    "gpt2": gpt2,
    "bert_base": bert_base,
    "t5_small": t5_small,
    "llama3_8b": llama3_8b,
    "lstm_lm": LstmLM,
}
# the generators: (context, encoder input length) of the per-token MACs
CONTEXT = {"gpt2": (1024, 0), "t5_small": (512, 512), "llama3_8b": (8192, 0)}


def total(module: nn.Module) -> int:
    """Parameters, each tensor once (tied weights are one Parameter)."""
    return sum(p.numel() for p in module.parameters())


def components(model: nn.Module) -> list[tuple[str, int]]:
    """(name, params) of each top-level part, and of the first repeated layer of each stack."""
    parts = []
    for name, child in model.named_children():
        parts.append((name, total(child)))
        for sub, grandchild in child.named_children():
            if isinstance(grandchild, nn.ModuleList) and len(grandchild):
                parts.append((f"{name}.{sub} x{len(grandchild)}", total(grandchild)))
                parts.append((f"{name}.{sub}.0", total(grandchild[0])))
                if len(grandchild) > 1:
                    parts.append((f"{name}.{sub}.1", total(grandchild[1])))
            elif isinstance(grandchild, nn.Module):
                parts.append((f"{name}.{sub}", total(grandchild)))
    return parts


def ids(length: int) -> torch.Tensor:
    return torch.zeros((1, length), dtype=torch.long, device="meta")


def macs_per_token(model: nn.Module, context: int, memory: int = 0) -> int:
    """MACs of one new token over a KV cache of context - 1 positions (FlopCounterMode FLOPs / 2).

    An encoder-decoder reads an input of `memory` tokens: the encoder runs once, before, and the
    cross-attention keys and values of its output are cached by the first decoder step."""
    model.config._attn_implementation = "eager"
    extra = {"encoder_outputs": model.get_encoder()(input_ids=ids(memory))} if memory else {}
    key = "decoder_input_ids" if memory else "input_ids"
    with torch.no_grad():
        cache = model(**{key: ids(context - 1)}, use_cache=True, **extra).past_key_values
        with FlopCounterMode(display=False) as counter:
            model(**{key: ids(1)}, past_key_values=cache, use_cache=True, **extra)
    return counter.get_total_flops() // 2


def forward_macs(model: nn.Module, length: int, memory: int = 0) -> int:
    """MACs of one forward pass over `length` tokens (and an encoder input of `memory`)."""
    if isinstance(model, LstmLM):
        with FlopCounterMode(display=False) as counter:
            model(ids(length))
        return counter.get_total_flops() // 2
    model.config._attn_implementation = "eager"
    extra = {"input_ids": ids(length)}
    if memory:
        extra = {"decoder_input_ids": ids(length), "input_ids": ids(memory)}
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(**extra, use_cache=True)  # use_cache=False takes a path that reads meta values
    return counter.get_total_flops() // 2


# (sequence, encoder input) of the full forward pass of each model
FORWARD = {
    "gpt2": (1024, 0),
    "bert_base": (128, 0),
    "t5_small": (512, 512),
    "llama3_8b": (8192, 0),
    "lstm_lm": (35, 0),
}


def main() -> None:
    quick = "--quick" in sys.argv
    for name, build in MODELS.items():
        with torch.device("meta"):
            model = build()
        print(f"{name}: {total(model):,} params")
        for part, n in components(model):
            print(f"    {part:40} {n:>15,}")
        if not quick:
            length, memory = FORWARD[name]
            print(f"    MACs of a forward pass over {length} tokens: {forward_macs(model, length, memory):,}")
        if name in CONTEXT and not quick:
            context, memory = CONTEXT[name]
            macs = macs_per_token(model, context, memory)
            print(f"    MACs per generated token at context {context}: {macs:,}")


if __name__ == "__main__":
    main()
