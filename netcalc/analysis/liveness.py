"""Liveness: which tensors are alive while each layer runs, and the peak of their sum.

Tensors are produced in execution order and freed after their last use (a skip connection keeps
its tensor alive until the merge; an output nothing reads is freed as soon as it is made). Counted
per sample, in elements: over the layers that run in inference for the report, and over every
layer (training-only branches too) for the backend's memory guard, which executes them all.
Elements become bytes in one place, `Liveness.bytes`: token ids (an input an embedding reads) are
int64, 8 bytes each whatever the dtype, as PyTorch, ONNX and the backend hold them.

The memory guard asks for two refinements of how the NumPy backend holds arrays: some layers give
a view of their input (a reshape, dropout in inference), which takes no memory of its own and keeps
its input's memory alive as long as the view is; and the backend keeps the input array to the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from netcalc.engine import Row
from netcalc.graph import Network
from netcalc.layers.sequence import ID_BYTES

NEVER = 1 << 62  # the last use of the network's output: it stays alive


@dataclass(frozen=True, slots=True)
class Liveness:
    """Elements alive while each layer runs (its inputs, its output, and all kept for later)."""

    live: tuple[int, ...]  # per layer, per sample (0 for a layer that does not run)
    peak: int  # the largest of them
    peak_layer: int  # the index of the layer where it is reached
    ids: tuple[int, ...]  # per layer, the elements of `live` that are token ids (int64)

    def bytes(self, itemsize: int) -> tuple[int, ...]:
        """Bytes alive per sample at each layer: token ids at 8 bytes (int64, as PyTorch and ONNX
        hold them) whatever the dtype, every other element at `itemsize`."""
        return tuple((n - k) * itemsize + k * ID_BYTES for n, k in zip(self.live, self.ids, strict=True))

    def peak_bytes(self, itemsize: int) -> tuple[int, int]:
        """(bytes per sample, layer index) where the bytes alive are the most."""
        sizes = self.bytes(itemsize)
        peak = max(sizes)
        return peak, sizes.index(peak)


def liveness(
    network: Network,
    rows: tuple[Row, ...],
    training_only: bool = False,
    views: frozenset[int] = frozenset(),
    keep_input: bool = False,
) -> Liveness:
    """Alive elements per layer, each tensor freed after the last layer that reads it.

    `training_only`: also run the training-only branches (as the backend does). `views`: indices
    of layers whose output shares its first input's memory. `keep_input`: the input stays alive.
    """
    runs = [training_only or not node.training_only for node in network.nodes]
    outputs = set(network.outputs)
    inputs = network.input_nodes
    last_use = dict.fromkeys(inputs, -1)
    for node in network.nodes:
        for i in node.inputs if runs[node.index] else ():
            last_use[i] = node.index
    if keep_input:
        last_use.update(dict.fromkeys(inputs, NEVER))
    owner: dict[int, int] = {}  # the tensor whose memory each view uses (any other: its own)
    sizes = {i: prod(shape) for i, (_, shape) in inputs.items()}
    ends = {i: last_use[i] for i in inputs}  # after which layer each piece of memory is freed
    ids = {i: sizes[i] for i in network.token_ids}  # the token-id inputs: int64 whatever the dtype
    alive, alive_ids, live, live_ids = sum(sizes.values()), sum(ids.values()), [], []
    for node, row in zip(network.nodes, rows, strict=True):
        index = node.index
        if not runs[index]:
            live.append(0)
            live_ids.append(0)
            continue
        # the network's outputs stay alive; any other tensor lives until its last reader
        end = NEVER if index in outputs else last_use.get(index, index)
        if index in views:
            first = node.inputs[0]
            owner[index] = base = owner.get(first, first)
            ends[base] = max(ends[base], end)
            live.append(alive)
        else:
            sizes[index] = size = prod(row.output_shape)
            ends[index] = end
            live.append(alive + size)
            alive += size
        live_ids.append(alive_ids)
        memories = {owner.get(i, i) for i in node.inputs}
        memories.add(owner.get(index, index))
        for memory in memories:
            if ends[memory] == index:
                alive -= sizes.pop(memory)
                alive_ids -= ids.get(memory, 0)
                del ends[memory]  # the working dicts hold what is alive only (peak memory)
    peak = max(live)
    return Liveness(tuple(live), peak, live.index(peak), tuple(live_ids))
