"""Where every figure of a layer comes from: its formula with the layer's own numbers filled in.

The shape, tensor and MAC formulas are the layer type's own (`Layer.explain`, beside its rules);
this pass adds the neurons, the receptive field (from the receptive field pass) and the memory, and
sums for blocks and for the whole network, term by term.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Any

from netcalc.analysis.blocks import GroupRow
from netcalc.analysis.receptive_field import AxisField, ReceptiveField
from netcalc.engine import Row
from netcalc.graph import INPUT, Network
from netcalc.layers import Embedding
from netcalc.layers.base import axis_names
from netcalc.layers.fields import IDENTITY, Window
from netcalc.layers.formula import Expr, elements, num, plus, times


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure: what it is, its formula (None when it is stated, not computed) and its value."""

    what: str
    formula: Expr | None
    value: int | str
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON form: the formula for people and as arithmetic."""
        return {
            "what": self.what,
            "formula": self.formula.pretty if self.formula else None,
            "expression": self.formula.plain if self.formula else None,
            "value": self.value,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class Explanation:
    """The figures of one layer (or one block, as sums of its layers)."""

    index: str  # '3', or '4-15' for a block
    name: str
    kind: str
    input_shapes: tuple[tuple[int, ...], ...]
    output_shape: tuple[int, ...]
    figures: tuple[Figure, ...]
    note: str = ""
    trainable: bool = True  # False for a layer under trainable: false (frozen)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "index": self.index,
            "name": self.name,
            "type": self.kind,
            "trainable": self.trainable,
            "input_shapes": [list(s) for s in self.input_shapes],
            "output_shape": list(self.output_shape),
            "note": self.note,
            "figures": [f.to_dict() for f in self.figures],
        }


def explain_row(
    network: Network,
    row: Row,
    fields: ReceptiveField | None,
    batch: int = 1,
    tokens: frozenset[int] = frozenset(),
) -> Explanation:
    """Every figure of one layer as its formula (`tokens`: the layers whose output is a sequence
    of tokens, (L, D), see token_sequences)."""
    layer = row.layer
    said = layer.explain(row.input_shapes, row.output_shape) if layer else None
    if said is None:  # a layer type without its explanation: the guard test names it
        figures = [Figure("output shape", None, str(list(row.output_shape)), "no formula for this type")]
        return Explanation(
            str(row.index), row.name, row.kind, row.input_shapes, row.output_shape, tuple(figures)
        )
    figures = [
        Figure(label, e, n)
        for label, e, n in zip(
            _labels(row.output_shape, row.index in tokens), said.shape, row.output_shape, strict=True
        )
    ]
    tensors = {**row.tensors, **row.state_tensors}
    figures += [Figure(name, said.tensors[name], n, _state(name, row)) for name, n in tensors.items()]
    if row.shares is not None:  # share: the owner's tensors, counted at the owner
        how = f"{'tied to' if row.tied else 'shared with'} {row.shares}: counted there"
        figures += [Figure(name, said.tensors[name], n, how) for name, n in row.shared_tensors.items()]
    if len(row.tensors) > 1 or (row.shares is not None and row.tensors):
        figures.append(Figure("params", plus(*(said.tensors[t] for t in row.tensors)), row.counts.params))
    elif row.shares is not None:
        figures.append(Figure("params", num(0), 0, f"uses the parameters of {row.shares}"))
    weighted = layer is not None and layer.weighted
    figures.append(
        Figure(
            "neurons",
            (said.neurons or elements(row.output_shape)) if weighted else num(0),
            row.counts.neurons,
            "" if weighted else "its outputs are not weighted sums",
        )
    )
    training = "training only: not in the inference totals" if row.training_only else ""
    figures.append(Figure("MACs", said.macs, row.counts.macs, training))
    figures += _field(network, row, fields)
    figures += _memory(network, row, batch)
    return Explanation(
        str(row.index),
        row.name,
        row.kind,
        row.input_shapes,
        row.output_shape,
        tuple(figures),
        said.note,
        row.trainable,
    )


def explain_group(group: GroupRow, rows: tuple[Row, ...], fields: ReceptiveField | None) -> Explanation:
    """A block: its params, neurons and MACs as the sums of its layers' (inference figures)."""
    members = [r for r in rows[group.first : group.last + 1] if group.name in r.groups]
    counts = [r.counts if group.training_only else r.inference for r in members]
    c = group.counts
    figures = [
        _sum("params", [n.params for n in counts], c.params),
        _sum("neurons", [n.neurons for n in counts], c.neurons),
        _sum("MACs", [n.macs for n in counts], c.macs),
    ]
    if fields is not None:
        last = fields.layers[group.last]
        figures += [
            Figure(f"receptive field {a.axis}", None, a.text(), "of its last layer") for a in last.axes
        ]
    kind = f"[{group.block} x{group.repeat}]" if group.repeat else f"[{group.block}]"
    index = f"{group.first}-{group.last}" if group.last > group.first else str(group.first)
    shapes = members[0].input_shapes if members else ()
    return Explanation(index, group.name, kind, shapes, group.output_shape, tuple(figures))


@dataclass(frozen=True, slots=True)
class Explained:
    """`netcalc explain`: the chosen layers or blocks, and the totals of those shown as sums."""

    name: str
    source: str
    lines: tuple[Explanation, ...]
    totals: tuple[Figure, ...]  # empty when only some layers were chosen

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "name": self.name,
            "source": self.source,
            "layers": [e.to_dict() for e in self.lines],
            "totals": [f.to_dict() for f in self.totals],
        }


def explain(
    network: Network,
    rows: tuple[Row, ...],
    fields: ReceptiveField | None,
    lines: list[Row | GroupRow],
    batch: int = 1,
    whole: bool = True,
) -> Explained:
    """The explanation of each line (a layer, or a collapsed block); with `whole`, the lines cover
    the network once and the totals are their sums, term by term."""
    tokens = token_sequences(network, rows)
    out = [
        explain_group(line, rows, fields)
        if isinstance(line, GroupRow)
        else explain_row(network, line, fields, batch, tokens)
        for line in lines
    ]
    sums: tuple[Figure, ...] = ()
    if whole:
        counts = [_own(line) for line in lines if not _expanded(line, lines)]
        sums = tuple(
            _sum(f"total {what}", [getattr(c, key) for c in counts], sum(getattr(c, key) for c in counts))
            for what, key in (("params", "params"), ("neurons", "neurons"), ("MACs", "macs"))
        )
    return Explained(network.name, network.source, tuple(out), sums)


def _own(line: Row | GroupRow) -> Any:
    return line.counts if isinstance(line, GroupRow) else line.inference


def _expanded(line: Row | GroupRow, lines: list[Row | GroupRow]) -> bool:
    """A block whose layers or inner blocks are shown too: they are counted, not it."""
    if not isinstance(line, GroupRow):
        return False
    return any(
        (isinstance(o, GroupRow) and o.parent == line.name) or (isinstance(o, Row) and line.name in o.groups)
        for o in lines
    )


def _sum(what: str, terms: list[int], value: int) -> Figure:
    nonzero = [t for t in terms if t]
    return Figure(what, plus(*nonzero) if nonzero else num(0), value)


def _labels(shape: tuple[int, ...], tokens: bool = False) -> tuple[str, ...]:
    """Names of a tensor's axes: (C, H, W) channels first, or (L, D) for a sequence of tokens."""
    if tokens:
        return ("L", "D")
    if len(shape) == 1:
        return ("size",)
    return ("C", *axis_names(len(shape) - 1))


def token_sequences(network: Network, rows: tuple[Row, ...]) -> frozenset[int]:
    """The layers whose output is a sequence of tokens, (L, D): an embedding's, and a 2-axis
    output of the same L made from one (attention, dense, norms, activations, recurrent layers)."""
    found: set[int] = set()
    for node, row in zip(network.nodes, rows, strict=True):
        source = node.inputs[0]
        if isinstance(node.layer, Embedding) or (
            source in found
            and len(row.output_shape) == 2
            and row.output_shape[0] == rows[source].output_shape[0]
        ):
            found.add(node.index)
    return frozenset(found)


def _state(name: str, row: Row) -> str:
    if name in row.state_tensors:
        return "non-trainable"
    return "" if row.trainable else "frozen (trainable: false): no gradient"


def _field(network: Network, row: Row, fields: ReceptiveField | None) -> list[Figure]:
    """r, S and P per input axis: from the input's field and this layer's window where both are
    one window per position (r = r_in + (last − first)·S_in), else as the pass found them."""
    if fields is None:
        return []
    node = network.nodes[row.index]
    out = []
    for a, field in enumerate(fields.layers[row.index].axes):
        before = _input_field(fields, node.inputs[0], a) if len(node.inputs) == 1 else None
        window = _window(row, field, before)
        if field.sizes is None or before is None or window is None:
            why = "the union of its inputs" if len(node.inputs) > 1 else ""
            out.append(Figure(f"receptive field {field.axis}", None, field.text(), why))
            continue
        out += _field_formulas(field, before, window)
    return out


def _input_field(fields: ReceptiveField, source: int, axis: int) -> AxisField:
    if source == INPUT:  # the input itself: r 1, S 1, P 0
        return AxisField(fields.axes[axis], "local", axis + 1, IDENTITY)
    return fields.layers[source].axes[axis]


def _window(row: Row, field: AxisField, before: AxisField | None) -> Window | None:
    """The layer's window along the axis, when it and its input's field are one per position."""
    if row.layer is None or field.output_axis is None:
        return None
    if before is not None and (before.window is None or before.window.period != 1):
        return None
    read = row.layer.reads(row.input_shapes, row.output_shape)[0].axes[field.output_axis]
    if read is None or read[1].period != 1:
        return None
    return read[1]


def _field_formulas(field: AxisField, before: AxisField, window: Window) -> list[Figure]:
    r_in, s_in, p_in = _figures(before)
    r, s, p = _figures(field)
    first, last = window.lo[0], window.hi[0]
    name = field.axis
    if window == IDENTITY:
        return [Figure(f"receptive field {name}", None, field.text(), "as its input")]
    return [
        Figure(
            f"r ({name})",
            plus(r_in, times(last - first, s_in, dot=True)),
            r,
            "r_in + (last − first tap)·S_in",
        ),
        Figure(f"S ({name})", times(s_in, window.shift, dot=True), s, "S_in·stride"),
        Figure(f"P ({name})", plus(p_in, times(-first, s_in, dot=True)), p, "P_in + pad·S_in"),
    ]


def _figures(field: AxisField) -> tuple[int, int, int]:
    """r, S, P of a field one window per position (period 1: S whole)."""
    assert field.sizes is not None and field.stride is not None and field.padding is not None
    return field.sizes[1], int(field.stride), field.padding


def _memory(network: Network, row: Row, batch: int) -> list[Figure]:
    size = network.dtype_bytes
    per = (batch,) if batch > 1 else ()
    at = network.dtype + (f", batch {batch}" if batch > 1 else "")
    out = [
        Figure(
            "output bytes",
            times(*per, elements(row.output_shape), size),
            prod(row.output_shape) * batch * size,
            at,
        )
    ]
    weights = row.counts.params + row.counts.state
    if weights:
        out.append(Figure("weight bytes", times(weights, size), weights * size, network.dtype))
    return out
