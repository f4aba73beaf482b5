"""Memory figures at the spec's dtype and a batch: input, parameters, activations, total."""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from netcalc.engine import Counts
from netcalc.graph import Network
from netcalc.layers.sequence import ID_BYTES


@dataclass(frozen=True, slots=True)
class Memory:
    """Bytes at the spec's dtype for the given batch."""

    input: int
    params: int  # trainable parameters and state
    activations: int  # every layer's output, as torchinfo's forward pass size
    total: int


def memory(network: Network, totals: Counts, batch: int) -> Memory:
    """Bytes of the input, the weights and every layer's output (torchinfo's forward pass size);
    an input of token ids takes 8 bytes (int64) per id whatever the spec's dtype."""
    size = network.dtype_bytes
    ids = network.token_ids
    inputs = sum(
        prod(shape) * batch * (ID_BYTES if i in ids else size)
        for i, (_, shape) in network.input_nodes.items()
    )
    weights = (totals.params + totals.state) * size
    activations = totals.activations * batch * size
    return Memory(input=inputs, params=weights, activations=activations, total=inputs + weights + activations)
