"""Receptive fields: for every layer, along every spatial axis of the input, the input positions each
output position depends on, in the convention of Araujo, Norris and Sim, "Computing Receptive
Fields of Convolutional Neural Networks" (Distill, 2019): output i spans input positions
[-P + i * S, -P + i * S + r - 1], r the size, S the effective stride, P the effective padding.

Each layer's rule (`Layer.reads`) says which positions of its inputs an output position reads; this
pass follows the network's input axes through those rules. A merge takes the union of its branches
(and warns when their fields are not centred alike). Where the field depends on the position
(transposed convolutions, upsampling), r is given as its smallest and largest value, S as a
fraction and P as -lo(0), the start of output 0's field. A layer that reads a whole axis (a global
pool, a dense layer after flatten, attention) makes the field global; an axis merged into others
(flatten, a reshape) has no per-axis field until something reads it whole.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from math import gcd, lcm
from operator import is_
from typing import Any, Literal

from netcalc.engine import Row, once
from netcalc.graph import INPUT, Network, Node
from netcalc.layers.base import Shape, axis_names
from netcalc.layers.fields import IDENTITY, MAX_PERIOD, Reads, Window

Status = Literal["local", "global", "n/a", "fixed"]  # fixed: one position taken, the axis dropped


@dataclass(frozen=True, slots=True)
class Track:
    """Where one input axis is in a tensor and how the tensor's positions read it."""

    status: Status
    axes: tuple[int, ...] = ()  # local: the one tensor axis along it; n/a: the axes its positions are in
    window: Window | None = None  # local: output position -> input positions; fixed: the same for all

    @property
    def local(self) -> bool:
        """The field is one window along one axis of the tensor."""
        return self.status == "local"


GLOBAL = Track("global")


@dataclass(frozen=True, slots=True)
class AxisField:
    """The receptive field of a layer's outputs along one axis of the network's input."""

    axis: str  # the input axis: H, W, L, D
    status: Status  # local: the figures below; global: the whole input; n/a: no per-axis field
    output_axis: int | None = None  # the output axis along it (local only)
    window: Window | None = None  # output position -> first and last input position (local only)

    @property
    def sizes(self) -> tuple[int, int] | None:
        """The smallest and largest r over the output positions (local only)."""
        if self.window is None:
            return None
        spans = [b - a + 1 for a, b in zip(self.window.lo, self.window.hi, strict=True)]
        return max(min(spans), 0), max(spans)

    @property
    def stride(self) -> Fraction | None:
        """S: input positions per output position (local only)."""
        return None if self.window is None else self.window.stride

    @property
    def padding(self) -> int | None:
        """P = -(first input position of output 0) (local only)."""
        return None if self.window is None else -self.window.at(0)[0]

    def span(self, i: int) -> tuple[int, int]:
        """The first and last input position output i reads (local only)."""
        assert self.window is not None, "span of a field that is not local"
        return self.window.at(i)

    def figures(self) -> tuple[int, int, int | str, int] | None:
        """The smallest and largest r, S (a whole number, or a fraction as text) and P, as the JSON
        form gives them (local only)."""
        window = self.window
        if window is None:
            return None
        if window.period == 1:  # one span, the same for every output: no walk, no Fraction
            size = window.hi[0] - window.lo[0] + 1
            return max(size, 0), size, window.shift, -window.lo[0]
        low, high = self.sizes or (0, 0)
        stride = window.stride
        return low, high, stride.numerator if stride.denominator == 1 else str(stride), -window.at(0)[0]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: status, and for a local field size (or size_min/size_max), stride, padding."""
        figures = self.figures()
        if figures is None:
            return {"status": self.status}
        low, high, stride, padding = figures
        return {
            "status": self.status,
            "size": low if low == high else None,
            "size_min": low,
            "size_max": high,
            "stride": stride,
            "padding": padding,
        }

    def text(self) -> str:
        """'212 / 32 / 90', '188-204 / 1 / 92', 'global' or 'n/a'."""
        if self.sizes is None:
            return self.status
        low, high = self.sizes
        size = str(low) if low == high else f"{low}-{high}"
        return f"{size} / {self.stride} / {self.padding}"


@dataclass(frozen=True, slots=True)
class LayerField:
    """One layer's receptive field along each spatial axis of the input."""

    index: int
    name: str
    kind: str
    output_shape: tuple[int, ...]
    axes: tuple[AxisField, ...]
    # the input's axis 0 (channels, or tokens), followed as the others but not shown: where every
    # output element reads only positions outside it (a pad's rows taken by a select), the output
    # reads no input element at all, whatever its spatial fields say
    channels: AxisField | None = None
    # exact fields only: whether some output element holds a value that comes from the input (not
    # when every one is padding or a constant, along any axis, e.g. a pad's new channels sliced out)
    reads_input: bool = True

    def to_dict(self) -> dict[str, Any]:
        """{axis name: its field} as JSON."""
        return {f.axis: f.to_dict() for f in self.axes}


@dataclass(frozen=True, slots=True)
class ReceptiveField:
    """The receptive field of every layer, and the merges whose branches are not centred alike."""

    axes: tuple[str, ...]  # the input's spatial axes (none for a vector input)
    layers: tuple[LayerField, ...]
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of `netcalc rf`."""
        return {
            "axes": list(self.axes),
            "layers": [
                {
                    "index": f.index,
                    "name": f.name,
                    "type": f.kind,
                    "output_shape": list(f.output_shape),
                    "receptive_field": f.to_dict(),
                }
                for f in self.layers
            ],
            "warnings": list(self.warnings),
        }


def receptive_field(network: Network, rows: tuple[Row, ...], exact: bool = False) -> ReceptiveField:
    """Every layer's field along each spatial axis of the input (axes 1.. of a (C, *spatial) input);
    with named inputs, of the first one (what reads only the others has no field on it: n/a).

    `exact`: not the Distill field but the input elements each output really reads: what a layer
    reads outside the tensor it reads (its padding) is not followed back through earlier layers,
    and a window is kept per output position (period = the axis length). The witness's corners.
    """
    rank = len(network.input) - 1
    names = axis_names(rank) if rank > 0 else ()
    # tracks[node][0] follows the input's axis 0 (not shown), tracks[node][1:] its spatial axes
    tracks: dict[int, tuple[Track, ...]] = {i: (Track("n/a"),) * (rank + 1) for i in network.input_nodes}
    tracks[INPUT] = tuple(
        Track("local", (a,), _explicit(n) if exact else _START) for a, n in enumerate(network.input)
    )
    rules: dict[Hashable, tuple[_Rule, ...]] = {}  # per layer and inputs (see engine.once)
    shown: dict[int, tuple[AxisField, ...]] = {  # each node's fields, shared while unchanged
        i: tuple(_field(name, track) for name, track in zip(names, tracks[i][1:], strict=True))
        for i in network.input_nodes
    }
    layers: list[LayerField] = []
    warnings: list[str] = []
    real: dict[int, Real] = {  # the exact pass only: a tuple per position of every axis
        i: tuple((True,) * n for n in shape) for i, (_, shape) in network.input_nodes.items() if exact
    }
    channels: dict[int, AxisField] = {}  # each node's axis-0 field, shared while unchanged
    # rows alike (see engine.once) hold one Counts object: their rules, without comparing layers
    # again (not in the exact pass: its rows' layers are not those the counts came from)
    by_counts: dict[int, tuple[_Rule, ...]] = {}
    last = _last_uses(network)
    for node, row in zip(network.nodes, rows, strict=True):
        rule: tuple[_Rule, ...] = ()
        if row.layer is not None:  # rows alike share their counts object (see engine.once)
            found = None if exact else by_counts.get(id(row.counts))
            if found is not None:
                rule = found
            else:
                rule = once(rules, row.layer, row.input_shapes, partial(_rules, row, exact))
                if not exact:
                    by_counts[id(row.counts)] = rule
        first = node.inputs[0]
        before = tracks[first]
        merged = _through(node, row, rule, tracks, names, None if exact else warnings)
        tracks[node.index] = merged
        if merged is before or all(map(is_, merged[1:], before[1:])):
            fields = shown[first]  # the same fields as its first input
        else:
            fields = tuple(_field(name, track) for name, track in zip(names, merged[1:], strict=True))
        shown[node.index] = fields
        if merged[0] is before[0] and first in channels:
            channel = channels[first]
        else:
            channel = AxisField("C", merged[0].status, (merged[0].axes or (None,))[0], merged[0].window)
        channels[node.index] = channel
        if exact:
            real[node.index] = _real(rule, [real[i] for i in node.inputs], row.output_shape)
        reads_input = real.get(node.index, ()) is not None
        layers.append(
            LayerField(row.index, row.name, row.kind, row.output_shape, fields, channel, reads_input)
        )
        for i in node.inputs:  # what no later layer reads is freed now, not at the end (peak memory)
            if last.get(i) == node.index:
                for working in (tracks, shown, channels, real):
                    working.pop(i, None)
    return ReceptiveField(names, tuple(layers), tuple(warnings))


def _last_uses(network: Network) -> dict[int, int]:
    """Each node's last reader: the index of the last layer that reads its output."""
    return {i: node.index for node in network.nodes for i in node.inputs}


_START = Window(1, 1, (0,), (0,))  # the input: position i is itself
Real = tuple[tuple[bool, ...], ...] | None  # per tensor axis, the positions holding input values


def _rules(row: Row, exact: bool) -> tuple[_Rule, ...]:
    assert row.layer is not None
    reads = row.layer.reads(row.input_shapes, row.output_shape)
    return tuple(_Rule(r, s, row.output_shape, exact) for r, s in zip(reads, row.input_shapes, strict=True))


def _real(rules: tuple[_Rule, ...], inputs: list[Real], output: Shape) -> Real:
    """Which positions of a layer's output hold values from the network's input, per axis (an
    element does when its position on every axis does); None when none does: it is a constant."""
    each = [_real_one(rule, r, output) for rule, r in zip(rules, inputs, strict=True) if r is not None]
    parts = [p for p in each if p is not None]
    if not parts:
        return None
    return tuple(tuple(any(p[j][i] for p in parts) for i in range(n)) for j, n in enumerate(output))


def _real_one(rule: _Rule, real: tuple[tuple[bool, ...], ...], output: Shape) -> Real:
    reads = rule.reads
    if any(not any(real[a]) for a in reads.mixed) or any(not real[a][i] for a, i in reads.picks.items()):
        return None  # it reads a whole axis, or takes one position, where nothing is from the input
    axes = []
    for j, entry in enumerate(reads.axes):
        if entry is None:  # an axis the layer makes: each position from all it reads
            axes.append((True,) * output[j])
            continue
        a, window = entry
        n = len(real[a])
        spans = map(window.at, range(output[j]))
        axes.append(
            tuple(any(0 <= t < n and real[a][t] for t in range(lo, hi + 1, window.step)) for lo, hi in spans)
        )
    return None if any(not any(axis) for axis in axes) else tuple(axes)


def _explicit(n: int) -> Window:
    """Position i is itself, for the n positions of an axis (one period: no position beyond)."""
    return Window(n, 0, tuple(range(n)), tuple(range(n)))


def _through(
    node: Node,
    row: Row,
    rules: tuple[_Rule, ...],
    tracks: dict[int, tuple[Track, ...]],
    names: tuple[str, ...],
    warnings: list[str] | None,
) -> tuple[Track, ...]:
    """Every track of a layer's output: each input's tracks through its rule, and at a merge their
    union axis by axis (a misaligned spatial axis warns, when `warnings` is given). The tracks of
    its first input (the same tuple) when no track changes."""
    inputs = [tracks[i] for i in node.inputs]
    steps = [r.through(t) for t, r in zip(inputs, rules, strict=True)]
    merged = steps[0]
    if len(steps) > 1:
        memo = rules[0].merge  # the last merge of these rules: again, when given the same tracks
        if memo is not None and all(map(is_, memo[0], steps)):
            merged, misaligned = memo[1], memo[2]
        else:
            merged, misaligned = _merge(steps, names)
            rules[0].merge = (steps, merged, misaligned)
        if warnings is not None:
            warnings.extend(_warning(row, name, m) for name, m in misaligned)
    before = inputs[0]
    return before if merged is not before and all(map(is_, merged, before)) else merged


Misaligned = list[tuple[str, tuple[Fraction, Fraction]]]  # the spatial axes a merge warns about


def _merge(steps: list[tuple[Track, ...]], names: tuple[str, ...]) -> tuple[tuple[Track, ...], Misaligned]:
    """The tracks of a merge's output, along each input axis the union of its branches, and the
    spatial axes whose branches are not centred alike."""
    merged: list[Track] = []
    misaligned: Misaligned = []
    for a, name in enumerate(("C", *names)):
        track, off = _union([s[a] for s in steps])
        merged.append(track)
        if off is not None and a:
            misaligned.append((name, off))
    return tuple(merged), misaligned


class _Rule:
    """A layer's Reads of one input, indexed by input axis; `same`: every input axis read
    element-wise into the same output axis, so every track goes through as it is."""

    __slots__ = (
        "exact",
        "inputs",
        "into",
        "last",
        "merge",
        "merged",
        "mixed",
        "output",
        "picks",
        "reads",
        "same",
        "stepped",
    )

    def __init__(self, reads: Reads, inputs: Shape, output: Shape, exact: bool) -> None:
        self.inputs, self.output, self.exact = inputs, output, exact
        self.mixed = reads.mixed
        self.merged = reads.merged
        self.picks = reads.picks
        self.into: dict[int, tuple[int, Window]] = {}
        alike: dict[Window, Window] = {}
        for j, read in enumerate(reads.axes):
            if read is None:
                continue
            a, window = read
            if not exact:  # one object per window (what _composed keeps), IDENTITY's value too: a
                # window reading position i for output i (a 1x1 convolution's) keeps a track as it is
                window = IDENTITY if window == IDENTITY else alike.setdefault(window, window)
            self.into[a] = (j, window)
        self.last: tuple[Window, Window, Window | None] | None = None  # see _composed
        self.reads = reads
        same = len(reads.axes) == len(inputs) and not (reads.mixed or reads.merged or reads.picks)
        kept = [self.into.get(a, (-1, None)) for a in range(len(inputs))]
        self.same = same and all(j == a and window is IDENTITY for a, (j, window) in enumerate(kept))
        self.stepped: tuple[tuple[Track, ...], tuple[Track, ...]] | None = None  # see through
        self.merge: tuple[list[tuple[Track, ...]], tuple[Track, ...], Misaligned] | None = None

    def through(self, tracks: tuple[Track, ...]) -> tuple[Track, ...]:
        """The tracks of an input's axes after this rule; the same tuple again for the same tracks
        in a row (a layer alike read the same tracks)."""
        if self.same:
            return tracks
        last = self.stepped
        if last is not None and last[0] is tracks:
            return last[1]
        stepped = tuple([_step(x, self) for x in tracks])
        self.stepped = (tracks, stepped)
        return stepped


def _field(name: str, track: Track) -> AxisField:
    if track.local:
        return AxisField(name, "local", track.axes[0], track.window)
    return AxisField(name, "n/a" if track.status == "fixed" else track.status)  # fixed: no axis left


def _step(track: Track, rule: _Rule) -> Track:
    """The track of an input axis after one layer reads the tensor holding it."""
    if track.status == "fixed":
        return track  # every element reads the same positions of it, whatever comes after
    if track.status == "global" or any(a in rule.mixed for a in track.axes):
        return GLOBAL
    if track.local:
        (axis,) = track.axes
        if axis in rule.into:
            j, read = rule.into[axis]
            if read is IDENTITY and j == axis:
                return track  # element-wise: the same field
            assert track.window is not None
            window: Window | None
            if rule.exact:
                window = _compose_exact(track.window, read, rule.inputs[axis], rule.output[j])
            else:
                window = _composed(track.window, read, rule)
            return Track("local", (j,), window) if window else Track("n/a", (j,))
        if axis in rule.picks and track.window is not None:
            first, last = track.window.at(rule.picks[axis])
            return Track("fixed", (), Window(1, 0, (first,), (last,)))
        return Track("n/a", rule.merged.get(axis, ()))
    into = {j for a in track.axes if a in rule.into for j in (rule.into[a][0],)}
    into.update(j for a in track.axes for j in rule.merged.get(a, ()))
    return Track("n/a", tuple(sorted(into)))


def _composed(field: Window, layer: Window, rule: _Rule) -> Window | None:
    """_compose, given again as the same object for the same two windows in a row (the H and W
    axes of a square field read by a square kernel): their fields then share one window."""
    last = rule.last
    if last is not None and last[0] is field and last[1] is layer:
        return last[2]
    window = _compose(field, layer)
    rule.last = (field, layer, window)
    return window


def _compose(field: Window, layer: Window) -> Window | None:
    """The field of a layer's output: output i reads positions a..b, each with its own field."""
    if field.period == layer.period == 1 and field.lo[0] <= field.hi[0] and layer.lo[0] <= layer.hi[0]:
        a, b = layer.lo[0], layer.hi[0]  # one window per position, as in convolution chains
        return Window(
            1, layer.shift * field.shift, (field.lo[0] + a * field.shift,), (field.hi[0] + b * field.shift,)
        )
    # layer periods until a..b has moved by a whole number of field periods
    turns = field.period // gcd(field.period, layer.shift)
    period = layer.period * turns
    if period > MAX_PERIOD:
        return None
    shift = layer.shift * turns // field.period * field.shift
    lo, hi = [], []
    for i in range(period):
        a, b = layer.at(i)
        if field.gapless and a <= b:
            lo.append(field.at(a)[0])
            hi.append(field.at(b)[1])
            continue
        # the span a..b whole, a dilated window's gaps too: first and last reading positions keep
        # every field monotone (lo and hi never decrease), which this composition relies on
        first = next((j for j in range(a, min(b, a + field.period) + 1) if _reads(field, j)), None)
        last = next((j for j in range(b, max(a, b - field.period) - 1, -1) if _reads(field, j)), None)
        if first is None or last is None:
            lo.append(1)
            hi.append(0)
        else:
            lo.append(field.at(first)[0])
            hi.append(field.at(last)[1])
    return Window(period, shift, tuple(lo), tuple(hi))


def _compose_exact(field: Window, layer: Window, length: int, size: int) -> Window:
    """As _compose, one output position at a time, reading only the `length` positions that exist
    and, in a dilated window, only its taps (the span of each is then not monotone: min and max)."""
    lo, hi = [], []
    for i in range(size):
        a, b = layer.at(i)
        spans = [field.at(j) for j in range(max(a, a % layer.step), min(b, length - 1) + 1, layer.step)]
        spans = [(x, y) for x, y in spans if x <= y]
        lo.append(min((x for x, _ in spans), default=1))
        hi.append(max((y for _, y in spans), default=0))
    return Window(max(size, 1), 0, tuple(lo), tuple(hi))


def _reads(field: Window, j: int) -> bool:
    a, b = field.at(j)
    return a <= b


def _union(branches: list[Track]) -> tuple[Track, tuple[Fraction, Fraction] | None]:
    """The field of a merge: the union of its branches, and the two centre lines (centre minus
    i * S, averaged over a period) that differ when the branches are not centred alike."""
    first = branches[0]
    if len(branches) == 1 or _itself(first, branches):
        return first, None
    local = [w for t in branches if t.status == "local" and t.axes == first.axes and (w := t.window)]
    one = local[0] if len(local) == len(branches) else None
    if one and all(w.period == 1 and w.shift == one.shift for w in local):
        return _union_spans(branches, local)  # every union of period 1 (before the checks below)
    if _one_plain_window(first, branches):  # a skip around element-wise layers, say
        return first, None  # what the union below makes of it: the same window, centred alike
    if any(t.status == "global" for t in branches):
        return GLOBAL, None
    windows = [t.window for t in branches if t.local and t.window is not None]
    if len(windows) < len(branches) or len({t.axes for t in branches}) > 1:
        return Track("n/a", tuple(sorted({a for t in branches for a in t.axes}))), None
    period = lcm(*(w.period for w in windows))
    one = windows[0]  # strides shift / period compared as shift * period', without fractions
    if any(w.shift * one.period != one.shift * w.period for w in windows) or period > MAX_PERIOD:
        return Track("n/a", branches[0].axes), None
    lo, hi = [], []  # a period of 2 or more: every union of period 1 returned above
    for i in range(period):
        spans = [s for s in (w.at(i) for w in windows) if s[0] <= s[1]]
        lo.append(min((s[0] for s in spans), default=1))
        hi.append(max((s[1] for s in spans), default=0))
    centres = sorted({c for w in windows if (c := _centre_line(w, period)) is not None})
    window = Window(period, one.shift * period // one.period, tuple(lo), tuple(hi))
    return Track("local", branches[0].axes, window), (centres[0], centres[-1]) if len(centres) > 1 else None


def _union_spans(
    branches: list[Track], windows: list[Window]
) -> tuple[Track, tuple[Fraction, Fraction] | None]:
    """_union of windows of period 1 and one stride: the span from the first start to the last
    end; the track of a branch whose window that is already, so that what follows can share it."""
    spans = [(w.lo[0], w.hi[0]) for w in windows if w.lo[0] <= w.hi[0]]
    lo = min((a for a, _ in spans), default=1)
    hi = max((b for _, b in spans), default=0)
    doubled = sorted({a + b for a, b in spans})  # centre lines lo + hi compare without fractions
    misaligned = (Fraction(doubled[0], 2), Fraction(doubled[-1], 2)) if len(doubled) > 1 else None
    for track, w in zip(branches, windows, strict=True):
        if w.lo[0] == lo and w.hi[0] == hi and w.step == 1:
            return track, misaligned
    return Track("local", branches[0].axes, Window(1, windows[0].shift, (lo,), (hi,))), misaligned


def _itself(first: Track, branches: list[Track]) -> bool:
    """Every branch this one track object, whose union is itself as the rest of _union gives it:
    global, or one undilated span of period 1 (a skip around layers that keep the field)."""
    if not all(t is first for t in branches):
        return False
    window = first.window
    if first.status == "global":
        return first is GLOBAL
    return (
        first.local
        and window is not None
        and window.period == 1
        and window.step == 1
        and window.lo[0] <= window.hi[0]
    )


def _one_plain_window(first: Track, branches: list[Track]) -> bool:
    """Every branch the same local window, gapless and undilated (the union keeps neither gaps nor taps)."""
    window = first.window
    plain = first.local and window is not None and window.step == 1 and window.gapless
    return plain and all(t is first or t == first for t in branches)


def _centre_line(window: Window, period: int) -> Fraction | None:
    """Where output 0's field is centred on average: the mean of centre(i) - i * S over a period."""
    offsets = [
        Fraction(a + b, 2) - i * window.stride for i in range(period) for a, b in [window.at(i)] if a <= b
    ]
    return sum(offsets, Fraction(0)) / len(offsets) if offsets else None


def _warning(row: Row, axis: str, misaligned: tuple[Fraction, Fraction]) -> str:
    low, high = misaligned
    return (
        f"layer {row.index} '{row.kind}' ({row.name}): its inputs' receptive fields are not centred "
        f"alike along {axis} (output 0 centred at input {_number(low)} in one branch, "
        f"{_number(high)} in another) — the merge combines features shifted by {_number(high - low)} "
        "input positions; check the padding of each branch"
    )


def _number(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{float(x):g}"
