"""Training memory (count --train): the breakdown per spec, as a table, JSON or markdown."""

from __future__ import annotations

import json
from typing import Any

from netcalc.units import human

LABELS = {
    "weights": "Weights",
    "gradients": "Gradients",
    "master_weights": "Master weights (fp32)",
    "optimizer_state": "Optimizer state",
    "activations": "Saved activations",
    "total": "Total",
}


def heading(t: Any) -> str:
    """'resnet18: training at batch 1, adam, fp32'."""
    checkpoint = ", checkpointed per block" if t.checkpoint == "blocks" else ""
    return f"{t.name}: training at batch {t.batch}, {t.optimizer}, {t.precision}{checkpoint}"


def notes(t: Any) -> list[str]:
    """The lines under the table: PyTorch's own figure, and the KV cache."""
    lines = [f"Saved tensors as PyTorch counts them (buffers included, no checkpointing): {t.saved:,} B"]
    if t.kv_cache:
        kv = t.kv_cache
        layers = f"{kv.layers} attention layer{'' if kv.layers == 1 else 's'}"
        lines.append(
            f"KV cache ({layers}): {kv.per_token:,} B per token; "
            f"{kv.total:,} B ({human(kv.total, 'B')}) for {kv.context} tokens at batch {kv.batch}"
        )
    return lines


def training_text(results: list[Any]) -> str:
    """One breakdown per spec: each part in bytes and human units."""
    blocks = []
    for t in results:
        parts = t.parts()
        width = max(len(v) for v in LABELS.values())
        lines = [heading(t)]
        lines += [f"  {LABELS[k]:<{width}} {v:>18,} B  {human(v, 'B'):>10}" for k, v in parts.items()]
        lines += [f"  {line}" for line in notes(t)]
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def training_markdown(results: list[Any]) -> str:
    """The breakdowns side by side, one column per spec."""
    lines = ["| | " + " | ".join(heading(t) for t in results) + " |", "|---|" + "---:|" * len(results)]
    for key, label in LABELS.items():
        lines.append(f"| {label} | " + " | ".join(f"{t.parts()[key]:,}" for t in results) + " |")
    lines.append("| Saved tensors (PyTorch's figure) | " + " | ".join(f"{t.saved:,}" for t in results) + " |")
    return "\n".join(lines) + "\n"


def training_json(results: list[Any], many: bool) -> str:
    """The breakdown with its layers, one object (or a list for several specs)."""
    data = [t.to_dict() for t in results]
    return json.dumps(data if many else data[0], indent=2) + "\n"
