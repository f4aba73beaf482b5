"""Dev-only: write the weight-free ONNX fixtures of tests/fixtures/onnx/ with PyTorch's exporter.

Each model is built by hand in PyTorch (no torchvision), exported by torch.onnx.export (the
TorchScript exporter, dynamo=False, batch axis symbolic; constant folding off, except for the
models in FOLDED, which show what the default export does), and then stripped of its float weight
data: the initializers keep their names and dims, so the file is small and counts the same. The
framework's own figures are written beside each file (<name>.json): parameters and buffers as
PyTorch counts them, and MACs from torch.utils.flop_counter (its FLOPs / 2: convolutions and
matrix products, no bias adds, no batch-norm arithmetic).

    python tools/make_onnx_fixtures.py [NAME ...]   # in any env with torch + onnx; NAME: only those
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import onnx
import torch
from strip_weights import strip  # tools/, beside this script
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "onnx"


class BasicBlock(nn.Module):
    """torchvision's ResNet BasicBlock, written out."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(y + (x if self.down is None else self.down(x)))


class ResNet18(nn.Module):
    """ResNet-18 (He et al. 2016) as torchvision builds it: 11,689,512 parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        blocks, cin = [], 64
        for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            blocks += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
            cin = cout
        self.layers = nn.Sequential(*blocks)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layers(self.maxpool(self.relu(self.bn1(self.conv1(x)))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class SmallCNN(nn.Module):
    """Convolutions, pooling, upsampling, concatenation, activations."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
        self.pool = nn.MaxPool2d(2)
        self.avg = nn.AvgPool2d(2)
        self.up = nn.Upsample(scale_factor=2.0, mode="nearest")
        self.deconv = nn.ConvTranspose2d(16, 4, 2, stride=2)
        self.head = nn.Linear(4 * 32 * 32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn(self.conv(x)))
        y = nn.functional.hardswish(self.dw(y))
        z = torch.cat([self.up(self.pool(y)), torch.sigmoid(y)], dim=1)  # (16, 32, 32)
        z = self.deconv(self.avg(z))  # (4, 32, 32)
        return torch.softmax(self.head(torch.flatten(z, 1)), dim=1)


class TokenMixer(nn.Module):
    """Tokens: Linear on (T, D) (MatMul + Add), LayerNorm, GELU, and attention-like products."""

    def __init__(self) -> None:
        super().__init__()
        self.q = nn.Linear(16, 16)
        self.k = nn.Linear(16, 16, bias=False)
        self.norm = nn.LayerNorm(16)
        self.mlp = nn.Linear(16, 32)
        self.out = nn.Linear(32, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, 10, 16)
        q, k = self.q(x), self.k(x)
        scores = torch.softmax(torch.matmul(q, k.transpose(1, 2)), dim=-1)  # (N, 10, 10)
        mixed = torch.matmul(scores, x)  # (N, 10, 16)
        return self.out(torch.relu(self.mlp(self.norm(mixed + x))))


class AttentionBlock(nn.Module):
    """nn.MultiheadAttention as a transformer block uses it, which the exporter decomposes."""

    def __init__(self) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(16, 4, batch_first=True)
        self.norm = nn.LayerNorm(16)
        self.head = nn.Linear(16, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, 10, 16)
        y = self.attn(x, x, x, need_weights=False)[0]
        return self.head(self.norm(x + y))


class TiedLayers(nn.Module):
    """Two layers each applied twice (tied weights): on tokens, where the default export folds each
    call's weight transpose into an initializer and deduplicates the second behind an Identity node,
    and after flattening, where both Gemm nodes read the same initializers."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Linear(16, 32)
        self.mix = nn.Linear(32, 32)
        self.fc = nn.Linear(320, 64)
        self.fc2 = nn.Linear(64, 64)
        self.head = nn.Linear(64, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, 10, 16)
        h = torch.relu(self.embed(x))
        h = torch.relu(self.mix(torch.relu(self.mix(h))))  # the same layer twice
        h = torch.relu(self.fc(torch.flatten(h, 1)))
        h = torch.relu(self.fc2(torch.relu(self.fc2(h))))  # and again
        return self.head(h)


class EmbeddingMLP(nn.Module):
    """Token ids through an embedding table (exported as Gather on the table), then Linear layers."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(100, 16)
        self.mlp = nn.Linear(16, 8)
        self.head = nn.Linear(8 * 12, 3)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:  # (N, 12) int64
        return self.head(torch.flatten(torch.relu(self.mlp(self.embed(ids))), 1))


class NewGELU(nn.Module):
    """GPT-2's tanh GELU as its code writes it (Hugging Face's NewGELUActivation): Pow(x, 3)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class GPTBlock(nn.Module):
    """A GPT-2 decoder block (pre-norm): causal attention, then an MLP with a tanh GELU. `mask`:
    the causal mask given to nn.MultiheadAttention (triu of -inf, made in forward), else
    is_causal=True, with which the module makes its own."""

    def __init__(self, gelu: nn.Module, mask: bool) -> None:
        super().__init__()
        self.mask = mask
        self.ln_1 = nn.LayerNorm(16)
        self.attn = nn.MultiheadAttention(16, 4, batch_first=True)
        self.ln_2 = nn.LayerNorm(16)
        self.fc = nn.Linear(16, 64)
        self.gelu = gelu
        self.proj = nn.Linear(64, 16)

    def forward(self, h: torch.Tensor) -> torch.Tensor:  # (N, T, 16)
        x, t = self.ln_1(h), h.shape[1]
        if self.mask:
            mask = torch.triu(torch.full((t, t), float("-inf")), 1)
            h = h + self.attn(x, x, x, attn_mask=mask, need_weights=False)[0]
        else:
            mask = nn.Transformer.generate_square_subsequent_mask(t)
            h = h + self.attn(x, x, x, attn_mask=mask, is_causal=True, need_weights=False)[0]
        return h + self.proj(self.gelu(self.fc(self.ln_2(h))))


class TinyGPT(nn.Module):
    """GPT-2 in small: token and position tables (nn.Embedding of positions 0 .. T-1, 12 rows for 10
    tokens), two blocks (nn.GELU('tanh') and an explicit mask; GPT-2's GELU code and is_causal),
    the final LayerNorm, and an LM head tied to the token table."""

    def __init__(self) -> None:
        super().__init__()
        self.wte = nn.Embedding(50, 16)
        self.wpe = nn.Embedding(12, 16)
        self.h = nn.Sequential(GPTBlock(nn.GELU(approximate="tanh"), True), GPTBlock(NewGELU(), False))
        self.ln_f = nn.LayerNorm(16)
        self.head = nn.Linear(16, 50, bias=False)
        self.head.weight = self.wte.weight  # tied: counted once

    def forward(self, ids: torch.Tensor) -> torch.Tensor:  # (N, 10) int64
        h = self.wte(ids) + self.wpe(torch.arange(ids.shape[1]))
        return self.head(self.ln_f(self.h(h)))


class LSTMLanguageModel(nn.Module):
    """zoo:lstm_lm small (PyTorch's word_language_model, batch first): ids, a 2-layer LSTM, a decoder."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(100, 16)
        self.rnn = nn.LSTM(16, 24, num_layers=2, batch_first=True)
        self.decoder = nn.Linear(24, 100)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:  # (N, 12) int64
        return self.decoder(self.rnn(self.embed(ids))[0])


class GRUClassifier(nn.Module):
    """A 2-layer bidirectional GRU read by its last layer's final states, both directions."""

    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.GRU(8, 12, num_layers=2, batch_first=True, bidirectional=True)
        self.head = nn.Linear(24, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, 10, 8)
        h = self.rnn(x)[1]  # (layers * directions, N, 12)
        return self.head(torch.cat([h[-2], h[-1]], dim=1))


class ReluRNN(nn.Module):
    """An Elman RNN with ReLU and no biases, sequence first (batch_first=False), read by h_n[-1]."""

    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.RNN(8, 16, nonlinearity="relu", bias=False)
        self.head = nn.Linear(16, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (10, N, 8)
        return self.head(self.rnn(x)[1][-1])


class LlamaRMSNorm(nn.Module):
    """RMSNorm as Llama's and T5's code write it (the TorchScript exporter has no nn.RMSNorm):
    x * rsqrt(mean(x^2) + eps) * weight; without the weight when `affine` is false."""

    def __init__(self, dim: int, eps: float, affine: bool = True) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim)) if affine else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return x if self.weight is None else self.weight * x


class LlamaAttention(nn.Module):
    """Grouped-query attention as Llama's code writes it (no rotary embedding): key and value heads
    repeated to every query head (repeat_interleave), then scaled_dot_product_attention, causal or
    not. Qwen2's q, k and v biases with `qkv_bias`; keys and values from a memory of width
    `memory_dim` when one is given (cross-attention)."""

    def __init__(
        self,
        dim: int,
        heads: int,
        kv_heads: int,
        head_dim: int,
        causal: bool = True,
        qkv_bias: bool = False,
        memory_dim: int | None = None,
    ) -> None:
        super().__init__()
        self.heads, self.kv_heads, self.head_dim, self.causal = heads, kv_heads, head_dim, causal
        self.q_proj = nn.Linear(dim, heads * head_dim, bias=qkv_bias)
        self.k_proj = nn.Linear(memory_dim or dim, kv_heads * head_dim, bias=qkv_bias)
        self.v_proj = nn.Linear(memory_dim or dim, kv_heads * head_dim, bias=qkv_bias)
        self.o_proj = nn.Linear(heads * head_dim, dim, bias=False)

    def forward(self, x: torch.Tensor, memory: torch.Tensor | None = None) -> torch.Tensor:  # (N, T, D)
        memory = x if memory is None else memory  # (N, M, Dm)
        (n, t, _), m = x.shape, memory.shape[1]
        q = self.q_proj(x).view(n, t, self.heads, self.head_dim).transpose(1, 2)  # (N, h, T, d)
        k = self.k_proj(memory).view(n, m, self.kv_heads, self.head_dim).transpose(1, 2)  # (N, g, M, d)
        v = self.v_proj(memory).view(n, m, self.kv_heads, self.head_dim).transpose(1, 2)
        k = k.repeat_interleave(self.heads // self.kv_heads, dim=1)  # (N, h, M, d)
        v = v.repeat_interleave(self.heads // self.kv_heads, dim=1)
        y = nn.functional.scaled_dot_product_attention(q, k, v, is_causal=self.causal)
        return self.o_proj(y.transpose(1, 2).reshape(n, t, self.heads * self.head_dim))


class LlamaMLP(nn.Module):
    """SwiGLU: down(silu(gate(x)) * up(x)), no biases."""

    def __init__(self, dim: int, ffn: int) -> None:
        super().__init__()
        self.gate_proj = nn.Linear(dim, ffn, bias=False)
        self.up_proj = nn.Linear(dim, ffn, bias=False)
        self.down_proj = nn.Linear(ffn, dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(nn.functional.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaBlock(nn.Module):
    """A Llama decoder layer (pre-norm, residuals) of width 32: 4 query heads and 2 key-value heads
    of 8, SwiGLU 48; then an RMSNorm without weight."""

    def __init__(self) -> None:
        super().__init__()
        self.input_layernorm = LlamaRMSNorm(32, 1e-5)
        self.self_attn = LlamaAttention(32, heads=4, kv_heads=2, head_dim=8)
        self.post_attention_layernorm = LlamaRMSNorm(32, 1e-5)
        self.mlp = LlamaMLP(32, 48)
        self.norm = LlamaRMSNorm(32, 1e-6, affine=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, 10, 32)
        x = x + self.self_attn(self.input_layernorm(x))
        x = x + self.mlp(self.post_attention_layernorm(x))
        return self.norm(x)


class FastGELU(nn.Module):
    """Hugging Face's FastGELUActivation: the tanh GELU with x^3 factored as x * (1 + 0.044715 x^2)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 0.5 * x * (1.0 + torch.tanh(x * 0.7978845608 * (1.0 + 0.044715 * x * x)))


class GELUs(nn.Module):
    """GELUs on tokens, each after a Linear: nn.GELU('tanh'), nn.GELU() (erf) and GPT-2's code, then
    Hugging Face's FastGELU after the last."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(8, 16), nn.Linear(16, 16), nn.Linear(16, 4)
        self.tanh, self.erf, self.new, self.fast = (
            nn.GELU(approximate="tanh"),
            nn.GELU(),
            NewGELU(),
            FastGELU(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, 6, 8)
        return self.fast(self.new(self.fc3(self.erf(self.fc2(self.tanh(self.fc1(x)))))))


class SharedWeightsOwnBiases(nn.Module):
    """Weights shared, biases not: a Linear whose weight is another's Parameter (`b.weight =
    a.weight`) with a bias of its own, on tokens (MatMul + Add) and after flattening (Gemm), and a
    head tied to the token table with a bias of its own."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(50, 16)
        self.a = nn.Linear(16, 16)
        self.b = nn.Linear(16, 16)
        self.b.weight = self.a.weight  # tied weight, own bias
        self.fc = nn.Linear(64, 64)
        self.fc_b = nn.Linear(64, 64)
        self.fc_b.weight = self.fc.weight
        self.head = nn.Linear(16, 50)
        self.head.weight = self.embed.weight  # tied to the table, own bias

    def forward(self, ids: torch.Tensor) -> torch.Tensor:  # (N, 4) int64
        h = torch.relu(self.b(torch.relu(self.a(self.embed(ids)))))  # (N, 4, 16)
        z = torch.relu(self.fc_b(torch.relu(self.fc(torch.flatten(h, 1)))))  # (N, 64)
        return torch.cat([torch.flatten(self.head(h), 1), z], 1)  # (N, 4 * 50 + 64)


class QwenCross(nn.Module):
    """Width 32: causal self-attention with q, k and v biases (Qwen2), one key-value head (multi-query)
    and heads of 6 (narrower than 32 / 4); then cross-attention to a memory of 32 tokens of 10 (the
    input transposed), 2 key-value heads of 8, not masked."""

    def __init__(self) -> None:
        super().__init__()
        self.self_attn = LlamaAttention(32, heads=4, kv_heads=1, head_dim=6, qkv_bias=True)
        self.cross_attn = LlamaAttention(32, heads=4, kv_heads=2, head_dim=8, causal=False, memory_dim=10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, 10, 32)
        x = x + self.self_attn(x)
        return x + self.cross_attn(x, x.transpose(1, 2))  # the memory (N, 32, 10)


class RMSNorms(nn.Module):
    """nn.RMSNorm itself (the TorchScript exporter cannot write it): with its weight and eps 1e-5,
    then a Linear, then without weight and eps None (float32's epsilon, 1.1920929e-07)."""

    def __init__(self) -> None:
        super().__init__()
        self.norm = nn.RMSNorm(32, eps=1e-5)
        self.fc = nn.Linear(32, 16, bias=False)
        self.norm2 = nn.RMSNorm(16, elementwise_affine=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, 10, 32)
        return self.norm2(self.fc(self.norm(x)))


class MoreOps(nn.Module):
    """Layers netcalc knows, as PyTorch's exporter writes them: zero and constant padding (Pad),
    a transposed convolution with output_padding, bilinear upsampling (align_corners both ways),
    an adaptive average pool to 4 x 4, instance norm, log-softmax."""

    def __init__(self) -> None:
        super().__init__()
        self.pad = nn.ZeroPad2d((1, 2, 0, 1))  # left, right, top, bottom
        self.conv = nn.Conv2d(3, 6, 3)
        self.fill = nn.ConstantPad2d(1, 0.5)
        self.norm = nn.InstanceNorm2d(6, affine=True)
        self.deconv = nn.ConvTranspose2d(6, 4, 3, stride=2, padding=1, output_padding=1)
        self.up = nn.Upsample(scale_factor=2.0, mode="bilinear", align_corners=False)
        self.up_corners = nn.Upsample(size=(6, 6), mode="bilinear", align_corners=True)
        self.pool = nn.AdaptiveAvgPool2d(4)  # first: the exporter needs the input's sizes
        self.head = nn.Linear(144, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, 3, 8, 8)
        y = self.pad(self.pool(x))  # (N, 3, 4, 4) -> (N, 3, 5, 7)
        y = self.norm(self.fill(self.conv(y)))  # (N, 6, 3, 5) -> (N, 6, 5, 7)
        y = self.up_corners(self.up(self.deconv(y)))  # (N, 4, 10, 14) -> (N, 4, 20, 28) -> (N, 4, 6, 6)
        return torch.log_softmax(self.head(torch.flatten(y, 1)), dim=1)


class MeanPools(nn.Module):
    """Global pools written as reductions, a common idiom: `x.mean((2, 3))` (ReduceMean, keepdims 0),
    `x.amax((2, 3), keepdim=True)` (ReduceMax, keepdims 1), then a Linear on both."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.head = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, 3, 16, 16)
        y = torch.relu(self.conv(x))  # (N, 8, 16, 16)
        mean = y.mean((2, 3))  # (N, 8)
        peak = torch.flatten(y.amax((2, 3), keepdim=True), 1)  # (N, 8, 1, 1) -> (N, 8)
        return self.head(torch.cat([mean, peak], dim=1))


MODELS = {
    "resnet18": (ResNet18, (3, 224, 224)),
    "small_cnn": (SmallCNN, (3, 32, 32)),
    "token_mixer": (TokenMixer, (10, 16)),
    "attention_block": (AttentionBlock, (10, 16)),
    "tied_layers": (TiedLayers, (10, 16)),
    "embedding_mlp": (EmbeddingMLP, (12,)),
    "tiny_gpt": (TinyGPT, (10,)),
    "shared_weights": (SharedWeightsOwnBiases, (4,)),
    "more_ops": (MoreOps, (3, 8, 8)),
    "lstm_lm": (LSTMLanguageModel, (12,)),
    "gru_classifier": (GRUClassifier, (10, 8)),
    "rnn_relu": (ReluRNN, (10, 8)),
    "llama_block": (LlamaBlock, (10, 32)),
    "gelus_dynamo": (GELUs, (6, 8)),
    "qwen_cross": (QwenCross, (10, 32)),
    "llama_block_folded": (LlamaBlock, (10, 32)),
    "qwen_cross_folded": (QwenCross, (10, 32)),
    "llama_block_dynamo": (LlamaBlock, (10, 32)),
    "qwen_cross_dynamo": (QwenCross, (10, 32)),
    "rmsnorm_opset18": (RMSNorms, (10, 32)),
    "rmsnorm_opset23": (RMSNorms, (10, 32)),
    "mean_pools": (MeanPools, (3, 16, 16)),
}
IDS = ("embedding_mlp", "tiny_gpt", "lstm_lm", "shared_weights")  # the input holds int64 token ids
# exported with PyTorch's default constant folding (and deduplication)
FOLDED = ("tied_layers", "lstm_lm", "llama_block_folded", "qwen_cross_folded")
SEQ_FIRST = ("rnn_relu",)  # the input is (L, N, F): the batch on axis 1
# exported by PyTorch's default exporter, torch.onnx.export(dynamo=True) (needs onnxscript), at an
# opset: nn.RMSNorm is Pow, ReduceMean, Add, Sqrt, Reciprocal, Mul at 18, RMSNormalization from 23
DYNAMO = {"gelus_dynamo": 18, "rmsnorm_opset18": 18, "rmsnorm_opset23": 23}  # name: opset
DYNAMO |= {"llama_block_dynamo": 18, "qwen_cross_dynamo": 18}


def example(name: str, sample: tuple[int, ...]) -> torch.Tensor:
    """One sample of zeros: float, or int64 ids for the models in IDS; (L, 1, F) for SEQ_FIRST."""
    if name in SEQ_FIRST:
        return torch.zeros(sample[0], 1, *sample[1:])
    return torch.zeros(1, *sample, dtype=torch.int64 if name in IDS else torch.float32)


def figures(module: nn.Module, name: str, sample: tuple[int, ...]) -> dict[str, int]:
    counter = FlopCounterMode(display=False)
    # gradients on (no fused fast path) and attention's math kernel: the counter then sees attention's
    # two products, which it does not see in the CPU flash kernel; oneDNN off: the LSTM's fused CPU
    # kernel hides its matrix products from the counter (it counts 0), the plain one shows them
    with counter, sdpa_kernel(SDPBackend.MATH), torch.backends.mkldnn.flags(enabled=False):
        module(example(name, sample))
    return {
        "params": sum(p.numel() for p in module.parameters()),
        "buffers": sum(b.numel() for n, b in module.named_buffers() if not n.endswith("num_batches_tracked")),
        "macs": counter.get_total_flops() // 2,
    }


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    for name in sys.argv[1:] or list(MODELS):  # some names: only those models
        cls, sample = MODELS[name]
        module = cls().eval()
        path = OUT / f"{name}.onnx"
        if name in DYNAMO:
            dynamo_export(module, sample, path, DYNAMO[name])
        else:
            torch.onnx.export(
                module,
                (example(name, sample),),
                str(path),
                dynamo=False,
                do_constant_folding=name
                in FOLDED,  # else keep BatchNormalization nodes (not folded into Conv)
                input_names=["input"],
                output_names=["output"],
                dynamic_axes={"input": {1 if name in SEQ_FIRST else 0: "N"}, "output": {0: "N"}},
                opset_version=17,
            )
        model = onnx.load(str(path))
        strip(model)
        onnx.save(model, str(path))
        info = {"framework": f"torch {torch.__version__}", "sample": list(sample)}
        info.update(figures(module, name, sample))
        (OUT / f"{name}.json").write_text(json.dumps(info, indent=2) + "\n")
        print(name, path.stat().st_size, "bytes", info, file=sys.stderr)


def dynamo_export(module: nn.Module, sample: tuple[int, ...], path: Path, opset: int) -> None:
    """torch.export's graph as ONNX (onnxscript's translation, optimized), the batch axis symbolic:
    an example batch of 2 (torch.export fixes an axis of size 1)."""
    batch = ({0: torch.export.Dim("N")},)
    program = torch.onnx.export(
        module, (torch.zeros(2, *sample),), dynamo=True, opset_version=opset, dynamic_shapes=batch
    )
    assert program is not None
    program.save(str(path))


if __name__ == "__main__":
    main()
