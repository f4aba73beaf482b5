"""Liveness: which tensors are alive while each layer runs, and the peak of their sum.

Tensors are produced in execution order and freed after their last use (a skip connection keeps
its tensor alive until the merge). Counted per sample, in elements: over the layers that run in
inference for the report, and over every layer (training-only branches too) for the backend's memory
guard, which executes them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from netcalc.engine import Row
from netcalc.graph import INPUT, Network


@dataclass(frozen=True, slots=True)
class Liveness:
    """Elements alive while each layer runs (its inputs, its output, and all kept for later)."""

    live: tuple[int, ...]  # per layer, per sample (0 for a layer that does not run)
    peak: int  # the largest of them
    peak_layer: int  # the index of the layer where it is reached


def liveness(network: Network, rows: tuple[Row, ...], training_only: bool = False) -> Liveness:
    """Alive elements per layer, each tensor freed after the last layer that reads it.

    `training_only`: also run the training-only branches (as the backend does).
    """
    runs = [training_only or not node.training_only for node in network.nodes]
    last_use = {INPUT: -1}
    for node in network.nodes:
        for i in node.inputs if runs[node.index] else ():
            last_use[i] = node.index
    sizes = {INPUT: prod(network.input)}
    alive, live = sizes[INPUT], []
    for node, row in zip(network.nodes, rows, strict=True):
        if not runs[node.index]:
            live.append(0)
            continue
        sizes[node.index] = prod(row.output_shape)
        live.append(alive + sizes[node.index])
        alive += sizes[node.index]
        for i in set(node.inputs):
            if last_use[i] == node.index:
                alive -= sizes[i]
        if node.index not in last_use and node.index != len(network.nodes) - 1:
            alive -= sizes[node.index]  # nothing reads it: freed as soon as it is made
    peak = max(live)
    return Liveness(tuple(live), peak, live.index(peak))
