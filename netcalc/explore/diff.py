"""Diff: two reports aligned layer by layer (by name, then by type order) with their changes and totals."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from netcalc.layers.base import per_axis
from netcalc.report import TOTALS, Report, Row

IDENTITY = ("name", "source")  # a layer's name and `from` place it; they are not what it computes
SPATIAL = ("kernel", "size", "stride", "dilation", "padding")  # an int, or one value per spatial axis


@dataclass(frozen=True, slots=True)
class LayerChange:
    """One aligned pair: 'changed', 'unchanged', 'added' (only in B) or 'removed' (only in A)."""

    status: str
    a: Row | None
    b: Row | None
    what: tuple[str, ...] = ()  # for 'changed': type, shape, params, macs, arguments

    def figure(self, key: str, side: str) -> int:
        """A row's params or MACs on one side, 0 where the layer is absent."""
        row = self.a if side == "a" else self.b
        if row is None:
            return 0
        return row.counts.params if key == "params" else row.counts.macs

    def delta(self, key: str) -> int:
        """B minus A for params or MACs."""
        return self.figure(key, "b") - self.figure(key, "a")


@dataclass(frozen=True, slots=True)
class Total:
    """One total of both networks: the values, B - A, and B / A."""

    key: str
    label: str
    a: int
    b: int

    @property
    def delta(self) -> int:
        return self.b - self.a

    @property
    def ratio(self) -> float | None:
        return self.b / self.a if self.a else None


@dataclass(frozen=True, slots=True)
class Diff:
    """Two reports aligned: every layer pair and the totals."""

    a: Report
    b: Report
    layers: tuple[LayerChange, ...]
    totals: tuple[Total, ...]

    @property
    def changed(self) -> bool:
        """Whether any figure differs: a layer added, removed or changed, or a total."""
        return any(c.status != "unchanged" for c in self.layers) or any(t.delta for t in self.totals)

    def counts(self) -> dict[str, int]:
        """How many layers of each status."""
        statuses = ("added", "removed", "changed", "unchanged")
        return {s: sum(c.status == s for c in self.layers) for s in statuses}

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the diff."""
        return {
            "netcalc_json": 1,
            "a": {"name": self.a.name, "source": self.a.source, "input_shape": list(self.a.input_shape)},
            "b": {"name": self.b.name, "source": self.b.source, "input_shape": list(self.b.input_shape)},
            "batch": self.a.batch,
            "changed": self.changed,
            "summary": self.counts(),
            "layers": [_change_dict(c) for c in self.layers],
            "totals": {t.key: {"a": t.a, "b": t.b, "delta": t.delta, "ratio": t.ratio} for t in self.totals},
        }


def diff(a: Report, b: Report) -> Diff:
    """Align B's layers to A's (same name first, then the same types in order) and compare them."""
    pairs = align(a.rows, b.rows)
    changes = [_change(x, y) for x, y in pairs]
    totals = tuple(Total(key, label, get(a), get(b)) for key, label, get in TOTALS)
    return Diff(a, b, tuple(changes), totals)


def align(a: tuple[Row, ...], b: tuple[Row, ...]) -> list[tuple[Row | None, Row | None]]:
    """Pairs of rows (None where a side has no counterpart), in B's order with A's leftovers in place."""
    by_name = {r.name: r for r in b}
    matched: dict[int, int] = {}  # A index -> B index
    for row in a:
        other = by_name.get(row.name)
        if other is not None:
            matched[row.index] = other.index
    # the rest by type order: the longest common runs of layer types, as a text diff aligns lines
    taken = set(matched.values())
    rest_a = [r for r in a if r.index not in matched]
    rest_b = [r for r in b if r.index not in taken]
    matcher = difflib.SequenceMatcher(
        None, [r.kind for r in rest_a], [r.kind for r in rest_b], autojunk=False
    )
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            matched[rest_a[block.a + k].index] = rest_b[block.b + k].index
    return _ordered(a, b, matched)


def _ordered(
    a: tuple[Row, ...], b: tuple[Row, ...], matched: dict[int, int]
) -> list[tuple[Row | None, Row | None]]:
    """B's rows in order, each with its A row; a removed A row goes after the B row of its predecessor."""
    back = {j: i for i, j in matched.items()}
    keyed: list[tuple[tuple[float, int], Row | None, Row | None]] = []
    for row in b:
        partner = back.get(row.index)
        keyed.append(((row.index, 1), a[partner] if partner is not None else None, row))
    place = -1.0
    for row in a:
        if row.index in matched:
            place = matched[row.index]
        else:
            keyed.append(((place, 2), row, None))  # after B's row `place`, before B's next row
    keyed.sort(key=lambda item: item[0])
    return [(x, y) for _, x, y in keyed]


def _change(a: Row | None, b: Row | None) -> LayerChange:
    if a is None:
        return LayerChange("added", None, b)
    if b is None:
        return LayerChange("removed", a, None)
    what = []
    if a.kind != b.kind:
        what.append("type")
    if a.output_shape != b.output_shape:
        what.append("shape")
    if a.counts.params != b.counts.params or a.counts.state != b.counts.state:
        what.append("params")
    if a.counts.macs != b.counts.macs:
        what.append("macs")
    if a.kind == b.kind and _arguments(a) != _arguments(b):
        what.append("arguments")
    return LayerChange("changed" if what else "unchanged", a, b, tuple(what))


def _arguments(row: Row) -> dict[str, Any]:
    """The layer's arguments, a size given once for every spatial axis written out per axis
    (`kernel: 3` and `kernel: [3, 3]` are the same convolution; so are a pool's `stride` left out
    and `stride` equal to its window)."""
    if row.layer is None:
        return {}
    args = row.layer.model_dump(exclude=set(IDENTITY))
    rank = getattr(row.layer, "rank", None)
    for name in SPATIAL:
        value = args.get(name, "")
        if isinstance(rank, int) and (value is None or isinstance(value, int | tuple)):
            args[name] = _per_axis(row, name, value, rank)
    return args


def _per_axis(row: Row, name: str, value: Any, rank: int) -> Any:
    axes = getattr(row.layer, "axes", None)
    try:
        return axes(name) if axes is not None else per_axis(value, rank, name)
    except (TypeError, ValueError):  # not a per-axis size after all: compare it as written
        return value


def _change_dict(c: LayerChange) -> dict[str, Any]:
    def side(row: Row | None) -> dict[str, Any] | None:
        if row is None:
            return None
        return {
            "index": row.index,
            "name": row.name,
            "type": row.kind,
            "output_shape": list(row.output_shape),
            "params": row.counts.params,
            "macs": row.counts.macs,
        }

    return {
        "status": c.status,
        "what": list(c.what),
        "a": side(c.a),
        "b": side(c.b),
        "params_delta": c.delta("params"),
        "macs_delta": c.delta("macs"),
    }
