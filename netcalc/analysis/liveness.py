"""Liveness: which tensors are alive while each layer runs, and the peak of their sum.

Tensors are produced in execution order and freed after their last use (a skip connection keeps
its tensor alive until the merge). Counted per sample, in elements, over every layer the backend
executes (training-only branches included).

The memory guard asks for two refinements of how the NumPy backend holds arrays: some layers
give a view of their input (a reshape, dropout in inference), which takes no memory of its own
and keeps its input's memory alive as long as the view is; and the backend keeps the input array
to the end of a run.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from netcalc.engine import Row
from netcalc.graph import INPUT, Network

NEVER = 1 << 62  # the last use of an output nothing reads: the network's output stays alive


@dataclass(frozen=True, slots=True)
class Liveness:
    """Elements alive while each layer runs (its inputs, its output, and all kept for later)."""

    live: tuple[int, ...]  # per layer, per sample
    peak: int  # the largest of them
    peak_layer: int  # the index of the layer where it is reached


def liveness(
    network: Network, rows: tuple[Row, ...], views: frozenset[int] = frozenset(), keep_input: bool = False
) -> Liveness:
    """Alive elements per layer, each tensor freed after the last layer that reads it.

    `views`: indices of layers whose output shares its first input's memory. `keep_input`: the
    input stays alive to the end.
    """
    last_use: dict[int, int] = {INPUT: -1}
    for node in network.nodes:
        for i in node.inputs:
            last_use[i] = node.index
    if keep_input:
        last_use[INPUT] = NEVER
    owner = {INPUT: INPUT}  # the tensor whose memory each tensor uses
    sizes = {INPUT: prod(network.input)}
    ends = {INPUT: last_use[INPUT]}  # when each piece of memory is freed
    alive, live = sizes[INPUT], []
    for node, row in zip(network.nodes, rows, strict=True):
        if node.index in views:
            base = owner[node.inputs[0]]
            owner[node.index] = base
            ends[base] = max(ends[base], last_use.get(node.index, NEVER))
            live.append(alive)
        else:
            owner[node.index] = node.index
            sizes[node.index] = prod(row.output_shape)
            ends[node.index] = last_use.get(node.index, NEVER)
            live.append(alive + sizes[node.index])
            alive += sizes[node.index]
        for memory in {owner[i] for i in node.inputs}:
            if ends[memory] == node.index:
                alive -= sizes[memory]
    peak = max(live)
    return Liveness(tuple(live), peak, live.index(peak))
