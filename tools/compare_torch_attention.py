"""Dev-only: netcalc's attention layer against PyTorch on random configurations (not a test dependency).

For each configuration (seeded): the engine's named tensors equal the PyTorch module's state_dict
(names and element counts), the engine's MACs equal torch.utils.flop_counter's FLOPs / 2 (SDPA's
math kernel, so that q.k and weights.v are counted), and the NumPy backend's op, given the module's
weights by name, computes the module's output (float64, max abs error printed).

The PyTorch side is written independently of netcalc's torch code:
- the forms nn.MultiheadAttention holds (self- and cross-attention, kdim/vdim, causal) are it,
  causal through a boolean attn_mask (True above the diagonal);
- the forms MultiheadAttention cannot hold (kv_heads, head_dim, bias lists, relative bias) are
  Reference below: four nn.Linear and F.scaled_dot_product_attention(enable_gqa=True), PyTorch's
  own grouped-query semantics, with the relative bias as a float attn_mask built from the table
  with netcalc's witness index map (row (j - i) mod ENTRIES for query i, key j).
With a relative bias, nn.MultiheadAttention gets the table as an extra parameter and the bias as a
float attn_mask of (batch * heads, N, M). Leading axes (windows) are flattened into the batch on
the PyTorch side.

    . .venv/bin/activate && python tools/compare_torch_attention.py [CONFIGS]

Measured (torch 2.13.0 CPU, `python tools/compare_torch_attention.py 300`): 300 random configurations
(176 nn.MultiheadAttention, 124 reference modules) agree on tensor names and counts, MACs and
outputs, max |dy| 8.9e-16 in float64; 0 disagree.
"""

from __future__ import annotations

import random
import sys
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from netcalc.backend.ops import OPS, Context
from netcalc.layers import Attention


class Reference(nn.Module):
    """Attention with its own q, k, v, out Linear layers, grouped-query heads and a relative bias."""

    def __init__(
        self, d: int, dm: int, heads: int, kv_heads: int, width: int, biases: set[str], entries: int | None
    ):
        super().__init__()
        self.heads, self.kv_heads, self.entries = heads, kv_heads, entries
        self.q_proj = nn.Linear(d, heads * width, bias="q" in biases)
        self.k_proj = nn.Linear(dm, kv_heads * width, bias="k" in biases)
        self.v_proj = nn.Linear(dm, kv_heads * width, bias="v" in biases)
        self.out_proj = nn.Linear(heads * width, d, bias="out" in biases)
        if entries:
            self.relative_bias_table = nn.Parameter(torch.randn(entries, heads, dtype=torch.float64))

    def forward(self, x: torch.Tensor, memory: torch.Tensor, causal: bool) -> torch.Tensor:
        b, n, _ = x.shape
        m = memory.shape[1]
        q = self.q_proj(x).view(b, n, self.heads, -1).transpose(1, 2)
        k = self.k_proj(memory).view(b, m, self.kv_heads, -1).transpose(1, 2)
        v = self.v_proj(memory).view(b, m, self.kv_heads, -1).transpose(1, 2)
        mask = torch.zeros(self.heads, n, m, dtype=x.dtype)
        if self.entries:
            index = (torch.arange(m)[None, :] - torch.arange(n)[:, None]) % self.entries
            mask = mask + self.relative_bias_table[index].permute(2, 0, 1)
        if causal:
            mask = mask.masked_fill(torch.ones(n, m, dtype=torch.bool).triu(1), float("-inf"))
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=True)
        return self.out_proj(y.transpose(1, 2).reshape(b, n, -1))


def configuration(rng: random.Random) -> dict[str, Any]:
    """Random shapes and arguments: half of them in nn.MultiheadAttention's reach."""
    heads = rng.choice([1, 2, 3, 4, 6, 8])
    d = heads * rng.randint(1, 8)
    n, m = rng.randint(1, 12), rng.randint(1, 12)
    cross = rng.random() < 0.5
    lead = tuple(rng.randint(1, 3) for _ in range(rng.choice([0, 0, 1, 2])))
    args: dict[str, Any] = {"heads": heads, "causal": rng.random() < 0.4}
    dm = rng.choice([d, d, rng.randint(1, 20)]) if cross else d
    if rng.random() < 0.5:  # the forms beyond MultiheadAttention
        args["kv_heads"] = rng.choice([g for g in range(1, heads + 1) if heads % g == 0])
        if rng.random() < 0.5:
            args["head_dim"] = rng.randint(1, 9)
        args["bias"] = rng.choice(
            [True, False, sorted(rng.sample(["q", "k", "v", "out"], rng.randint(0, 4)))]
        )
        if rng.random() < 0.5:
            args["relative_bias"] = rng.randint(1, 40)
    else:
        args["bias"] = rng.random() < 0.7
    return {"args": args, "queries": (*lead, n, d), "memory": (*lead, m if cross else n, dm), "cross": cross}


def torch_module(layer: Attention, d: int, dm: int) -> nn.Module:
    if layer.form(((1, d), (1, dm))) != "separate":
        kdim = dm if dm != d else None
        mha = nn.MultiheadAttention(
            d, layer.heads, bias=bool(layer.bias), kdim=kdim, vdim=kdim, batch_first=True
        )
        if layer.relative_bias:  # the table beside the module, added to the scores by a float mask
            mha.relative_bias_table = nn.Parameter(torch.randn(layer.relative_bias, layer.heads))
        return mha
    width = layer.head_dim or d // layer.heads
    biases = {p for p in ("q", "k", "v", "out") if layer.biased(p)}  # type: ignore[arg-type]
    return Reference(d, dm, layer.heads, layer.kv_heads or layer.heads, width, biases, layer.relative_bias)


def run_torch(module: nn.Module, layer: Attention, x: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
    q, kv = x.reshape(-1, *x.shape[-2:]), memory.reshape(-1, *memory.shape[-2:])
    if isinstance(module, nn.MultiheadAttention):
        n, m = q.shape[1], kv.shape[1]
        mask: torch.Tensor | None = torch.ones(n, m, dtype=torch.bool).triu(1) if layer.causal else None
        if layer.relative_bias:  # (batch * heads, n, m) floats: table row (j - i) mod ENTRIES, -inf if masked
            index = (torch.arange(m)[None, :] - torch.arange(n)[:, None]) % layer.relative_bias
            bias = module.relative_bias_table[index].permute(2, 0, 1)
            if mask is not None:
                bias = bias.masked_fill(mask, float("-inf"))
            mask = bias.repeat(q.shape[0], 1, 1)
        y = module(q, kv, kv, need_weights=False, attn_mask=mask)[0]
    else:
        y = module(q, kv, layer.causal)
    return y.reshape(x.shape)


def compare(config: dict[str, Any], seed: int) -> tuple[bool, str]:
    torch.manual_seed(seed)
    layer = Attention(**config["args"])
    shapes = (config["queries"], config["memory"]) if config["cross"] else (config["queries"],)
    out = layer.output_shape(shapes)
    d, dm = config["queries"][-1], config["memory"][-1]
    module = torch_module(layer, d, dm).double().eval()
    state = {name: t.detach() for name, t in module.state_dict().items()}
    engine = layer.params(shapes)
    names_ok = engine == {name: t.numel() for name, t in state.items()}
    x = torch.randn(2, *config["queries"], dtype=torch.float64)
    memory = torch.randn(2, *config["memory"], dtype=torch.float64) if config["cross"] else x
    with torch.no_grad(), sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter:
        expected = run_torch(module, layer, x, memory)
    torch_macs = counter.get_total_flops() // 2 // 2  # FLOPs / 2, per sample of the batch of 2
    macs_ok = torch_macs == layer.macs(shapes, out)
    weights = {name: t.numpy() for name, t in state.items()}
    inputs = [x.numpy(), memory.numpy()] if config["cross"] else [x.numpy()]
    y = OPS[Attention].forward(layer, inputs, weights, Context())
    error = float(np.abs(y - expected.numpy()).max())
    ok = names_ok and macs_ok and error < 1e-10 and y.shape == (2, *out)
    kind = type(module).__name__
    line = (
        f"{kind:19s} {str(config['args']):95s} q {config['queries']} "
        f"mem {config['memory'] if config['cross'] else '-'}"
        f" params {sum(engine.values())} {'=' if names_ok else '!='} torch; MACs {layer.macs(shapes, out)}"
        f" {'=' if macs_ok else '!= ' + str(torch_macs)}; max |dy| {error:.1e}"
    )
    return ok, line


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rng = random.Random(0)
    failures, kinds, worst = 0, {"MultiheadAttention": 0, "Reference": 0}, 0.0
    for i in range(count):
        config = configuration(rng)
        ok, line = compare(config, i)
        kinds["MultiheadAttention" if line.startswith("MultiheadAttention") else "Reference"] += 1
        worst = max(worst, float(line.rsplit(" ", 1)[1]))
        if not ok or i < 12:
            print(("FAIL " if not ok else "ok   ") + line)
        failures += not ok
    features = "causal, kv_heads, head_dim, bias lists, relative_bias, cross-attention (kdim), leading axes"
    print(
        f"{count} random configurations ({kinds['MultiheadAttention']} nn.MultiheadAttention, "
        f"{kinds['Reference']} reference GQA/relative-bias modules; {features}): "
        f"{count - failures} agree on tensor names and counts, MACs and outputs "
        f"(max |dy| {worst:.1e}, float64); {failures} disagree"
    )
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
