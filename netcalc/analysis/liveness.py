"""Liveness: which tensors are alive while each layer runs, and the peak of their sum.

Tensors are produced in execution order and freed after their last use (a skip connection keeps
its tensor alive until the merge). Counted per sample, in elements, over every layer the backend
executes (training-only branches included), so the backend's memory guard can use it as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from netcalc.engine import Row
from netcalc.graph import INPUT, Network


@dataclass(frozen=True, slots=True)
class Liveness:
    """Elements alive while each layer runs (its inputs, its output, and all kept for later)."""

    live: tuple[int, ...]  # per layer, per sample
    peak: int  # the largest of them
    peak_layer: int  # the index of the layer where it is reached


def liveness(network: Network, rows: tuple[Row, ...]) -> Liveness:
    """Alive elements per layer, each tensor freed after the last layer that reads it."""
    last_use = {INPUT: -1}
    for node in network.nodes:
        for i in node.inputs:
            last_use[i] = node.index
    sizes = {INPUT: prod(network.input)}
    alive, live = sizes[INPUT], []
    for node, row in zip(network.nodes, rows, strict=True):
        sizes[node.index] = prod(row.output_shape)
        live.append(alive + sizes[node.index])
        alive += sizes[node.index]
        for i in set(node.inputs):
            if last_use[i] == node.index:
                alive -= sizes[i]
    peak = max(live)
    return Liveness(tuple(live), peak, live.index(peak))
