"""The pure-Python walk over the expanded graph: shapes and counts per layer, block subtotals."""

from __future__ import annotations

from math import prod

from netcalc.errors import NetcalcError, ShapeError
from netcalc.graph import INPUT, Graph, Node, expand
from netcalc.report import Counts, GroupRow, Memory, Report, Row
from netcalc.spec import Spec


def analyze(spec: Spec, batch: int = 1) -> Report:
    """Infer every shape and count every parameter, neuron, MAC and byte of a spec."""
    if type(batch) is not int or batch < 1:
        raise NetcalcError(f"batch must be a positive whole number (got {batch!r})")
    graph = expand(spec)
    rows = _rows(spec, graph)
    totals = sum((r.inference for r in rows), Counts())
    size = spec.dtype_bytes
    memory = Memory(
        input=prod(spec.input) * batch * size,
        params=(totals.params + totals.state) * size,
        activations=totals.activations * batch * size,
        total=(prod(spec.input) * batch + totals.params + totals.state + totals.activations * batch) * size,
    )
    return Report(
        name=spec.name,
        description=spec.description,
        source=spec.source,
        input_shape=tuple(spec.input),
        output_shape=rows[-1].output_shape,
        dtype=spec.dtype,
        batch=batch,
        rows=rows,
        groups=_groups(graph, rows),
        totals=totals,
        memory=memory,
        warnings=_unused(graph) + tuple(w for r in rows if (w := _pooled_dense(r))),
    )


def _rows(spec: Spec, graph: Graph) -> tuple[Row, ...]:
    shapes: dict[int, tuple[int, ...]] = {INPUT: tuple(spec.input)}
    names = {INPUT: "input"}
    rows = []
    for node in graph.nodes:
        row = _row(node, tuple(shapes[i] for i in node.inputs), names)
        shapes[node.index] = row.output_shape
        names[node.index] = node.path
        rows.append(row)
    return tuple(rows)


def _row(node: Node, inputs: tuple[tuple[int, ...], ...], names: dict[int, str]) -> Row:
    layer = node.layer
    try:
        out = layer.output_shape(inputs)
        tensors, state = layer.params(inputs), layer.state(inputs)
        macs = layer.macs(inputs, out)
    except ShapeError as error:
        raise ShapeError(
            f"{node.where}: layer {node.index} '{layer.kind}' ({node.path}): {error} "
            f"[input {' + '.join(str(list(s)) for s in inputs)}]"
        ) from None
    counts = Counts(sum(tensors.values()), sum(state.values()), layer.neurons(out), macs, prod(out))
    return Row(
        node.index,
        node.path,
        layer.kind,
        len(node.groups),
        node.groups,
        tuple(names[i] for i in node.inputs),
        inputs,
        out,
        tensors,
        state,
        counts,
        node.training_only,
    )


def _groups(graph: Graph, rows: tuple[Row, ...]) -> tuple[GroupRow, ...]:
    members: dict[str, list[Row]] = {g.path: [] for g in graph.groups}
    for row in rows:
        for path in row.groups:
            members[path].append(row)
    result = []
    for g in graph.groups:
        inside = members[g.path]
        training = all(r.training_only for r in inside)  # its own cost; else inference only
        counts = sum((r.counts if training else r.inference for r in inside), Counts())
        result.append(
            GroupRow(
                g.path,
                g.block,
                g.depth,
                g.parent,
                g.repeat,
                inside[0].index,
                inside[-1].index,
                inside[-1].output_shape,
                counts,
                training,
            )
        )
    return tuple(result)


def _unused(graph: Graph) -> tuple[str, ...]:
    """Layers whose output nothing takes (the last layer is the network's output)."""
    used = {i for node in graph.nodes for i in node.inputs}
    return tuple(
        f"layer {n.index} '{n.layer.kind}' ({n.path}): its output is never used; its parameters "
        "and MACs are still counted — connect it with from: or remove it"
        for n in graph.nodes[:-1]
        if n.index not in used and not n.training_only
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
