"""The zoo at a size a test can run: the sequence models and Swin-T made small through their own arguments.

Counting a full-size model takes milliseconds; running it does not (NumPy, onnxruntime, PyTorch on
the CPU): Llama 3 8B holds 32 GB of float32 weights, GPT-2's attention at 1,024 tokens is 12 x 1024^2
scores a layer. The tests that execute every zoo model take the ones named here at these values of
the spec's own `args:` (what `--set NAME=VALUE` gives): the same layers and blocks, each smaller.
test_zoo checks their full-size counts against the published figures.
"""

from __future__ import annotations

from typing import Any

import netcalc

# fewer layers, narrower, a short context and a small vocabulary; sizes that differ from each other
# (the T5 input and target lengths), so an axis taken for another shows
SMALL: dict[str, dict[str, int]] = {
    "gpt2": {"context": 16, "vocab": 64, "dim": 32, "heads": 4, "layers": 2},
    "bert_base": {"sequence": 8, "positions": 16, "vocab": 64, "dim": 32, "heads": 4, "ffn": 48, "layers": 2},
    "t5_small": {
        "length": 12,
        "context": 8,
        "vocab": 64,
        "dim": 32,
        "heads": 4,
        "head_dim": 6,
        "ffn": 48,
        "layers": 2,
        "buckets": 8,
    },
    "llama3_8b": {
        "context": 16,
        "vocab": 64,
        "dim": 32,
        "heads": 4,
        "kv_heads": 2,
        "head_dim": 8,
        "ffn": 48,
        "layers": 2,
    },
    "lstm_lm": {"steps": 8, "vocab": 64, "units": 16},
    # 64x64 in windows of 2x2 tokens: stages of 16, 8, 4 and 2 tokens a side, widths 24 to 192
    "swin_t": {"size": 64, "window": 2, "dim": 24},
}


def small_args(name: str) -> dict[str, Any] | None:
    """The arguments that make zoo spec `name` small, or None for a zoo spec that runs as it is."""
    return SMALL.get(name.removeprefix("zoo:"))


def load(source: str) -> netcalc.Network:
    """A spec path or zoo:NAME, loaded; a zoo spec named in SMALL at its small arguments."""
    return netcalc.load(source, args=small_args(source) if source.startswith("zoo:") else None)


def set_options(source: str) -> list[str]:
    """The same arguments as command-line options: ['--set', 'layers=2', ...]."""
    return [item for k, v in (small_args(source) or {}).items() for item in ("--set", f"{k}={v}")]
