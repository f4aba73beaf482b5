"""Warnings about a design that is valid but almost certainly not what was meant."""

from __future__ import annotations

import re

from netcalc.engine import Row
from netcalc.graph import Network
from netcalc.layers import Attention

AUTO_NAME = re.compile(r"(.+)_([0-9]+)")  # kind_n: the name a layer without `name:` gets


def warnings(network: Network, rows: tuple[Row, ...]) -> tuple[str, ...]:
    """Every warning of the network, in layer order within each rule."""
    layers = tuple(w for r in rows for w in (_pooled_dense(r), _causal_cross_attention(r)) if w)
    return _unused(network) + _input_names(network) + layers


def _input_names(network: Network) -> tuple[str, ...]:
    """Inputs named so that `from:` reads ambiguously: 'input' among several inputs (inside a block
    it is the block's own input), or the name a layer without `name:` would get (dense_1: that
    layer becomes dense_2, and `from: dense_1` reads the input)."""
    kinds = {node.layer.kind for node in network.nodes} | set(network.blocks)
    found = []
    for name in network.inputs:
        auto = AUTO_NAME.fullmatch(name)
        if name == "input" and len(network.inputs) > 1:
            found.append(
                "input 'input' is one of several: inside a block, from: input means the block's "
                "own input — rename it after what it holds (image, tokens)"
            )
        elif auto and auto.group(1) in kinds:
            found.append(
                f"input '{name}' has the name netcalc gives an unnamed '{auto.group(1)}' layer, "
                f"which is then numbered on; from: {name} reads the input — rename the input"
            )
    return tuple(found)


def _causal_cross_attention(row: Row) -> str | None:
    """A causal mask over a memory of another length than the queries: the mask is the square
    one's corner, a decoder's cross-attention reads its whole memory."""
    layer = row.layer
    if not isinstance(layer, Attention) or not layer.causal or len(row.input_shapes) < 2:
        return None
    queries, memory = row.input_shapes[0][-2], row.input_shapes[1][-2]
    if queries == memory:
        return None
    return (
        f"layer {row.index} 'attention' ({row.name}) is causal over a memory of {memory} tokens "
        f"for {queries} queries — cross-attention reads its whole memory: remove causal"
    )


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
