"""Warnings about a design that is valid but almost certainly not what was meant."""

from __future__ import annotations

from netcalc.engine import Row
from netcalc.graph import Network


def warnings(network: Network, rows: tuple[Row, ...]) -> tuple[str, ...]:
    """Every warning of the network, in layer order within each rule."""
    return _unused(network) + tuple(w for r in rows if (w := _pooled_dense(r)))


def _unused(network: Network) -> tuple[str, ...]:
    """Inputs and layers whose output nothing takes (the network's outputs: `outputs:`, else the
    last layer)."""
    used = {i for node in network.nodes for i in node.inputs}
    outputs = set(network.outputs)
    fix = (
        "list it under outputs: or connect it with from:"
        if network.declared
        else "connect it with from: or remove it"
    )
    inputs = tuple(
        f"input '{name}' is never used — take it with from: {name} or remove it"
        for i, (name, _) in network.input_nodes.items()
        if i not in used
    )
    return inputs + tuple(
        f"layer {n.index} '{n.layer.kind}' ({n.path}): its output is never used; its parameters "
        f"and MACs are still counted — {fix}"
        for n in network.nodes
        if n.index not in used and n.index not in outputs and not n.training_only
    )


def _pooled_dense(row: Row) -> str | None:
    """Dense right after a global pool acts on a size-1 axis: almost always a missing flatten."""
    shape = row.input_shapes[0]
    if row.kind == "dense" and len(shape) >= 2 and all(n == 1 for n in shape[1:]):
        return (
            f"layer {row.index} 'dense' ({row.name}) acts on the last axis of {list(shape)}, "
            "of size 1 — add flatten before it to connect every channel"
        )
    return None
