"""Memory figures at the spec's dtype and a batch: input, parameters, activations, total."""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from netcalc.engine import Counts
from netcalc.graph import Network


@dataclass(frozen=True, slots=True)
class Memory:
    """Bytes at the spec's dtype for the given batch."""

    input: int
    params: int  # trainable parameters and state
    activations: int  # every layer's output, as torchinfo's forward pass size
    total: int


def memory(network: Network, totals: Counts, batch: int) -> Memory:
    """Bytes of the input, the weights and every layer's output (torchinfo's forward pass size)."""
    size = network.dtype_bytes
    inputs = prod(network.input) * batch
    weights = totals.params + totals.state
    activations = totals.activations * batch
    return Memory(
        input=inputs * size,
        params=weights * size,
        activations=activations * size,
        total=(inputs + weights + activations) * size,
    )
