"""Where the engine meets the NumPy backend: the memory guard, runs, and the check of every count.

The only module that imports both: the backend stays an independent witness of the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from math import prod
from typing import TYPE_CHECKING, Any

from netcalc import arguments
from netcalc.analysis.liveness import Liveness, liveness
from netcalc.errors import ResourceError, UsageError
from netcalc.graph import Network
from netcalc.report import Report, analyze, totals_report
from netcalc.units import binary

if TYPE_CHECKING:
    from netcalc.analysis.receptive_field import AxisField, LayerField
    from netcalc.backend import Result
    from netcalc.layers import Layer

DEFAULT_MAX_MEMORY = 2 * 1024**3
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Check:
    """One layer compared: what disagrees (empty when everything agrees)."""

    index: int
    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int
    neurons: int
    macs: int
    mismatches: tuple[str, ...]
    live_estimate: int = 0  # bytes of activations alive while it ran: by the liveness pass
    live_recorded: int = 0  # the same, as the backend's arrays held them

    @property
    def ok(self) -> bool:
        """True when every figure agrees."""
        return not self.mismatches


@dataclass(frozen=True)
class Verification:
    """The per-layer checks of one spec."""

    name: str
    source: str
    checks: tuple[Check, ...]
    fields: tuple[FieldCheck, ...] = ()  # the receptive fields witnessed

    @property
    def ok(self) -> bool:
        """True when every layer agrees, and every receptive field witnessed holds."""
        return all(c.ok for c in self.checks) and not any(f.mismatches for f in self.fields)

    def failures(self) -> list[str]:
        """One line per disagreement, naming the layer and both figures."""
        return [
            f"{self.source}: layer {c.index} '{c.kind}' ({c.name}): {m}"
            for c in self.checks
            for m in c.mismatches
        ] + [f"{self.source}: layer {f.index} ({f.name}): {m}" for f in self.fields for m in f.mismatches]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "name": self.name,
            "source": self.source,
            "ok": self.ok,
            "layers": [
                {
                    "index": c.index,
                    "name": c.name,
                    "type": c.kind,
                    "ok": c.ok,
                    "output_shape": list(c.output_shape),
                    "params": c.params,
                    "neurons": c.neurons,
                    "macs": c.macs,
                    "live_bytes": c.live_recorded,
                    "live_bytes_estimate": c.live_estimate,
                    "mismatches": list(c.mismatches),
                }
                for c in self.checks
            ],
            "receptive_field": [f.to_dict() for f in self.fields],
        }


# What a run allocates besides arrays: traces, dicts, NumPy's small scalars (measured: a few KiB
# per layer), so that the estimate stays an upper bound on the smallest specs too.
OVERHEAD_BYTES = 256 * 1024
OVERHEAD_PER_LAYER = 8 * 1024
ELIDED_BYTES = 256 * 1024  # NumPy computes `a * b + c` in place when a temporary is this large


def estimate_peak_bytes(
    network: Network, batch: int, itemsize: int, report: Report | None = None, training: bool = False
) -> int:
    """An upper bound on the bytes a backend run allocates at its peak (measured within 1.5x).

    At each layer, the larger of two moments: drawing its weights (those made so far, and this
    layer's once more for the draw's temporary, beside the activations already alive) and running
    it (every weight so far, the activations alive by the liveness pass, the input, which the
    backend keeps to the end, and the workspace its kernel declares in backend.ops: im2col
    columns, padded copies, temporaries of an expression).
    """
    from netcalc.backend.ops import OPS

    report = report or analyze(network)
    ops = [OPS[type(node.layer)] for node in network.nodes]
    views = backend_views(network, training)
    live = backend_liveness(network, report, training).bytes(itemsize)  # per sample
    weights = peak = 0
    for row, node, op, alive in zip(report.rows, network.nodes, ops, live, strict=True):
        weights += sum(row.tensors.values()) + sum(row.state_tensors.values())
        workspace = op.workspace(node.layer, row.input_shapes, row.output_shape, itemsize, training)
        # a draw makes one temporary, except where NumPy reuses it in place (arrays over 256 KiB)
        draw = min(max(row.tensors.values(), default=0), ELIDED_BYTES // itemsize)
        output = 0 if row.index in views else prod(row.output_shape)
        drawing = (weights + draw) * itemsize + batch * (alive - output * itemsize)
        running = (weights + batch * workspace) * itemsize + batch * alive
        peak = max(peak, drawing, running)
    return peak + OVERHEAD_BYTES + OVERHEAD_PER_LAYER * len(report.rows)


def backend_views(network: Network, training: bool = False) -> frozenset[int]:
    """The layers whose output the backend makes a view of their input (as backend.ops declares),
    or writes over their input's memory (backend.in_place): no memory of their own, either way."""
    from netcalc.backend import in_place
    from netcalc.backend.ops import OPS

    views = {node.index for node in network.nodes if OPS[type(node.layer)].view(node.layer, training)}
    return frozenset(views) | in_place(network, training)


def backend_liveness(network: Network, report: Report, training: bool = False) -> Liveness:
    """Tensors alive at each layer as the backend holds them: every layer runs (the
    training-only branches too), the input stays to the end, and a view takes no memory of its own."""
    views = backend_views(network, training)
    return liveness(network, report.rows, training_only=True, views=views, keep_input=True)


def live_bytes_estimate(network: Network, report: Report, batch: int, itemsize: int) -> tuple[int, ...]:
    """The bytes of activations alive at each layer of a backend run, from the liveness pass: the
    figure `verify` checks the backend's recording against (token ids are int64: 8 bytes)."""
    return tuple(n * batch for n in backend_liveness(network, report).bytes(itemsize))


def expected_tensors(network: Network) -> dict[str, tuple[int, ...]]:
    """Every weight tensor a run draws, keyed 'layer/tensor' as in weights files, with its shape."""
    from netcalc.backend import tensor_shapes

    return tensor_shapes(network, [row.input_shapes for row in analyze(network).rows])


def check_memory(
    network: Network, report: Report, batch: int, itemsize: int, limit: int, training: bool = False
) -> int:
    """Raise ResourceError before any allocation when the run would exceed `limit` bytes."""
    need = estimate_peak_bytes(network, batch, itemsize, report, training)
    if need > limit:
        raise ResourceError(
            f"{network.source}: running this spec needs about {binary(need)} "
            f"(weights, live activations and kernel workspace at batch {batch}), over the limit of "
            f"{binary(limit)} — lower --batch or raise --max-memory (e.g. --max-memory {_hint(need)})"
        )
    return need


def _hint(n: int) -> str:
    """A --max-memory value just above n bytes: '2M', '9G'."""
    for unit, scale in (("T", 2**40), ("G", 2**30), ("M", 2**20), ("K", 2**10)):
        if n >= scale:
            return f"{-(-n // scale)}{unit}"
    return str(n)


RUN_OPTIONS = ("x", "weights", "seed", "batch", "dtype", "training", "progress")


def checked_options(options: dict[str, Any]) -> dict[str, Any]:
    """The backend options of a run, each checked (a UsageError names the first wrong one)."""
    from netcalc import arguments, backend

    unknown = sorted(set(options) - set(RUN_OPTIONS))
    if unknown:
        raise UsageError(
            f"run() takes no argument '{unknown[0]}' — it takes {', '.join(RUN_OPTIONS)}, max_memory"
        )
    checks: dict[str, Callable[[Any], Any]] = {
        "seed": arguments.seed,
        "batch": arguments.batch,
        "dtype": arguments.dtype,
        "training": lambda value: arguments.flag("training", value),
        "x": backend.checked_input,
        "weights": backend.checked_weights,
        "progress": _progress,
    }
    return {name: checks[name](value) for name, value in options.items()}


def _progress(value: object) -> Progress | None:
    if value is not None and not callable(value):
        raise UsageError(f"progress must be a function (done, total) or None, not {type(value).__name__}")
    return value  # a callable or None; its signature is the caller's promise


def run(
    network: Network,
    report: Report | None = None,
    max_memory: int | str | None = None,
    **options: Any,
) -> Result:
    """Execute a network with the NumPy backend, behind the memory guard (imports NumPy).

    `options` go to the backend: x, weights, seed, batch, dtype, training, progress. Raises
    UsageError for a wrong argument, ResourceError over `max_memory` (bytes or '2G'; default 2 GiB).
    """
    from netcalc import backend

    limit = arguments.max_memory(max_memory)
    options = checked_options(options)
    checked = report or totals_report(network, 1, with_liveness=False)  # the guard reads its rows
    limit = DEFAULT_MAX_MEMORY if limit is None else limit
    training = bool(options.get("training", False))

    def guard(batch: int, itemsize: int) -> None:
        check_memory(network, checked, batch, itemsize, limit, training)

    return backend.run(network, guard=guard, **options)


def verify(
    network: Network,
    seed: int = 0,
    batch: int = 2,
    dtype: str = "float32",
    max_memory: int | str | None = None,
    progress: Progress | None = None,
) -> Verification:
    """Run the network on the backend and compare shapes, tensors, neurons and MACs per layer.

    Raises UsageError for a wrong argument and ResourceError over `max_memory`.
    """
    checked_options({"seed": seed, "batch": batch, "dtype": dtype, "progress": progress})
    report = analyze(network)
    itemsize = {"float32": 4, "float64": 8}[dtype]
    # the field witness runs first, in batches no larger than the run it witnesses needs, and only
    # for a run that fits (its exact pass holds a flag per position of every axis)
    limit = arguments.max_memory(max_memory)
    check_memory(network, report, batch, itemsize, DEFAULT_MAX_MEMORY if limit is None else limit)
    bound = estimate_peak_bytes(network, batch, itemsize, report)
    fields = check_fields(network, report, seed, max_memory, bound)
    result = run(network, report, max_memory, seed=seed, batch=batch, dtype=dtype, progress=progress)
    estimates = live_bytes_estimate(network, report, batch, itemsize)
    checks = []
    for row, trace, estimate in zip(report.rows, result.traces, estimates, strict=True):
        problems = []
        if trace.live_bytes != estimate:  # exact: both count the same arrays, see live_bytes_estimate
            problems.append(f"live memory: liveness {estimate:,} bytes, backend {trace.live_bytes:,}")
        if row.output_shape != trace.output_shape:
            problems.append(
                f"output shape: engine {list(row.output_shape)}, backend {list(trace.output_shape)}"
            )
        problems += _tensors("parameter", row.tensors, trace.tensors)
        problems += _tensors("state", row.state_tensors, trace.state)
        for what, counted, actual in (
            ("neurons", row.counts.neurons, trace.neurons),
            ("MACs", row.counts.macs, trace.macs),
        ):
            if counted != actual:
                problems.append(f"{what}: engine {counted:,}, backend {actual:,}")
        checks.append(
            Check(
                row.index,
                row.name,
                row.kind,
                row.output_shape,
                row.counts.params,
                row.counts.neurons,
                row.counts.macs,
                tuple(problems),
                estimate,
                trace.live_bytes,
            )
        )
    return Verification(report.name, report.source, tuple(checks), fields)


def _tensors(what: str, counted: dict[str, int], actual: dict[str, int]) -> list[str]:
    problems = []
    for name in sorted(set(counted) | set(actual)):
        a, b = counted.get(name), actual.get(name)
        if a != b:
            problems.append(
                f"{what} '{name}': engine {a if a is None else f'{a:,}'} elements, "
                f"backend {b if b is None else f'{b:,}'}"
            )
    return problems


# --- the receptive field witness -----------------------------------------------------------------
# The receptive field is a property of the windows, not of the non-linearities, so the witness runs
# the network's linear skeleton: activations removed (a ReLU could hide a change), max pooling as
# average pooling (a max could too), every additive tensor (biases, running means, tokens,
# embeddings) zero and the input zero but for one element. An output then moves exactly when a
# path of windows joins it to that element, by a product of weights: float64 holds it, however
# small. Perturbing an element outside the claimed field must leave the output bit for bit; one at
# a corner of the field (every axis at its first or last position) must change it.

ADDITIVE = frozenset({"bias", "running_mean", "in_proj_bias", "out_proj.bias", "token", "embedding"})
CHUNK = 4  # perturbed inputs per run: the memory guard sees a small batch


@dataclass(frozen=True)
class FieldCheck:
    """The receptive field of one layer against perturbed inputs."""

    index: int
    name: str
    positions: tuple[tuple[int, ...], ...]  # output positions sampled, along the input's axes
    unchanged: int  # (position, input element outside its field) pairs: the output stayed as it was
    changed: int  # (position, corner of its field) pairs: the output moved
    mismatches: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "index": self.index,
            "name": self.name,
            "positions": [list(p) for p in self.positions],
            "outside_unchanged": self.unchanged,
            "corners_changed": self.changed,
            "mismatches": list(self.mismatches),
        }


def check_fields(
    network: Network,
    report: Report,
    seed: int = 0,
    max_memory: int | str | None = None,
    bound: int | None = None,
) -> tuple[FieldCheck, ...]:
    """Perturb input elements around the claimed field of a few output positions of one layer: of
    those whose field has both input elements outside it and corners on input elements (else
    either), the one with the largest field (the deepest of equals).

    The corners are those of the input elements each output really reads (the exact field): the
    claimed field counts padding, and a layer's padding read back through an earlier layer can
    span input elements no real path joins (a transposed convolution's output padding).

    `bound`: the estimated peak bytes the perturbed runs should stay within (one input at a time
    where even two exceed it)."""
    from netcalc.analysis.receptive_field import receptive_field

    fields = report.receptive_field
    if fields is None or not fields.axes:
        return ()
    # the exact field of what runs: the skeleton (a softmax made the identity reads less)
    skeleton = tuple(replace(r, layer=_linear(r.layer)) if r.layer else r for r in report.rows)
    exact = receptive_field(network, skeleton, exact=True).layers
    # the skeleton is linear up to the first layer that stays non-linear in it (a product of two
    # branches, a dilated max): past it, a zero input could hide a dependency
    linear = next((n.index for n in network.nodes if _nonlinear(n.layer)), len(network.nodes))
    candidates = []
    for f in fields.layers[:linear]:
        if f.axes and all(a.status == "local" for a in f.axes):
            corners, outside = _samples(f, exact[f.index], _positions(f), network.input)
            if corners or outside:
                candidates.append(((bool(corners and outside), max(map(_largest, f.axes)), f.index), f))
    if not candidates:
        return ()
    best = max(candidates, key=lambda c: c[0])[1]
    return (_witness(network, report, best, exact[best.index], seed, max_memory, bound),)


def _nonlinear(layer: Layer) -> bool:
    """A layer the linear skeleton keeps non-linear: a product of activations, a max it cannot
    turn into an average (dilated)."""
    from netcalc import layers as L

    if isinstance(layer, L.Multiply | L.Matmul):
        return True
    if isinstance(layer, L.MaxPool1d | L.MaxPool2d | L.MaxPool3d):
        return set(layer.axes("dilation")) != {1}
    return False


def _positions(field: LayerField) -> list[tuple[int, ...]]:
    """The first, middle and last output position along every axis at once."""
    lengths = [field.output_shape[a.output_axis] for a in field.axes if a.output_axis is not None]
    picks = (lambda n: 0, lambda n: n // 2, lambda n: n - 1)
    return sorted({tuple(pick(n) for n in lengths) for pick in picks})


def _largest(field: AxisField) -> int:
    assert field.sizes is not None
    return field.sizes[1]


def _witness(
    network: Network,
    report: Report,
    field: LayerField,
    exact: LayerField,
    seed: int,
    max_memory: int | str | None,
    bound: int | None,
) -> FieldCheck:
    import numpy as np

    positions = _positions(field)
    corners, outside = _samples(field, exact, positions, network.input)
    samples = corners + outside
    outputs = _perturbed(network, report, field.index, samples, seed, max_memory, bound, whole=True)
    # an output the whole input (every element its own value) leaves as it is reads no input value:
    # its field is geometry (padding, a constant channel), with no corner an input can show
    constant = {
        q for q in positions if not np.any(outputs[-1][_index(field, q)] != outputs[0][_index(field, q)])
    }
    outputs = outputs[:-1]
    problems = [
        f"receptive field: output {list(q)} reads inputs {list(r)} .. {list(s)}, not inside its field"
        for q in positions
        for r, s in [_extent(exact, q)]
        if all(a <= b for a, b in zip(r, s, strict=True)) and (_outside(field, q, r) or _outside(field, q, s))
    ]
    unchanged = changed = 0
    for points, y in zip(samples, outputs[1:], strict=True):
        for q in positions:
            at = _index(field, q)
            moved = bool(np.any(y[at] != outputs[0][at]))
            inside = [p for p in points if not _outside(field, q, p)]
            if not inside:
                unchanged += len(points) * (not moved)
                if moved:
                    problems.append(
                        f"receptive field: inputs {[list(p) for p in points]} are outside the field "
                        f"of output {list(q)} but change it"
                    )
            elif (
                q not in constant
                and len(inside) == 1
                and inside[0] in _corners(field, exact, q, network.input)
            ):
                changed += moved
                if not moved:
                    problems.append(
                        f"receptive field: input {list(inside[0])} is a corner of the field of "
                        f"output {list(q)} but leaves it unchanged"
                    )
    return FieldCheck(field.index, field.name, tuple(positions), unchanged, changed, tuple(problems))


Point = tuple[int, ...]
Samples = list[tuple[Point, ...]]
Item = tuple[Point, tuple[Point, ...]]  # an output position, and the input elements that check it


def _samples(
    field: LayerField, exact: LayerField, positions: list[tuple[int, ...]], shape: tuple[int, ...]
) -> tuple[Samples, Samples]:
    """Perturbed inputs (corners, then elements outside), as few as the checks allow: the effects
    of a linear network add up, so one input can hold corners of several positions' fields, each
    outside the other positions' fields, and the elements just outside several fields."""
    corners: list[Item] = [(q, (c,)) for q in positions for c in _corners(field, exact, q, shape)]
    outside = [(q, _beyond(field, q, shape[1:])) for q in positions]
    return _packed(field, corners), _packed(field, [(q, o) for q, o in outside if o])


def _packed(field: LayerField, items: list[Item]) -> Samples:
    """Items (a position, the elements that check it) packed greedily into inputs where every
    element of one item is outside the fields of the other items' positions."""
    packs: list[list[Item]] = []
    for q, points in items:
        for pack in packs:
            if all(_outside(field, r, p) for r, _ in pack for p in points) and all(
                _outside(field, q, p) for _, others in pack for p in others
            ):
                pack.append((q, points))
                break
        else:
            packs.append([(q, points)])
    return [tuple(sorted({p for _, points in pack for p in points})) for pack in packs]


def _extent(field: LayerField, q: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The first and the last corner of output q's field."""
    spans = [a.span(i) for a, i in zip(field.axes, q, strict=True)]
    return tuple(s[0] for s in spans), tuple(s[1] for s in spans)


def _reads_channels(field: LayerField, channels: int) -> bool:
    """Whether some output element reads one of the input's `channels` positions of axis 0: not
    when all it reads there is padding (a pad's rows taken by a select or a slice, a class token)."""
    c = field.channels
    if c is None or c.window is None:
        return True  # read in full (global) or not followed (n/a): assume it is read
    n = 1 if c.output_axis is None else field.output_shape[c.output_axis]
    return any(lo <= hi and hi >= 0 and lo < channels for lo, hi in map(c.window.at, range(n)))


def _corners(
    field: LayerField, exact: LayerField, q: tuple[int, ...], shape: tuple[int, ...]
) -> list[tuple[int, ...]]:
    """The first and the last corner of output q's claimed field that are corners of the input
    elements it really reads too; none when it reads nothing (an empty span, or padding alone along
    axis 0). Where a layer's padding cut its window the exact end is a bound only (a dilated
    window's first tap may be in the padding): the claimed corner, outside the input, says so."""
    claimed = [a.span(i) for a, i in zip(field.axes, q, strict=True)]
    spans = [a.span(i) for a, i in zip(exact.axes, q, strict=True)]
    if any(s[0] > s[1] for s in spans) or not _reads_channels(exact, shape[0]) or not exact.reads_input:
        return []
    corners = {tuple(s[end] for s in spans) for end in (0, 1)}
    corners &= {tuple(s[end] for s in claimed) for end in (0, 1)}
    return sorted(c for c in corners if all(0 <= x < n for x, n in zip(c, shape[1:], strict=True)))


def _beyond(field: LayerField, q: tuple[int, ...], spatial: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """The input elements just before and after output q's field along each axis, at its centre."""
    spans = [a.span(i) for a, i in zip(field.axes, q, strict=True)]
    centre = [min(max((s[0] + s[1]) // 2, 0), n - 1) for s, n in zip(spans, spatial, strict=True)]
    points = []
    for axis, (s, n) in enumerate(zip(spans, spatial, strict=True)):
        points += [
            tuple(centre[:axis] + [x] + centre[axis + 1 :]) for x in (s[0] - 1, s[1] + 1) if 0 <= x < n
        ]
    return tuple(points)


def _outside(field: LayerField, q: tuple[int, ...], point: tuple[int, ...]) -> bool:
    spans = [a.span(i) for a, i in zip(field.axes, q, strict=True)]
    return any(not s[0] <= p <= s[1] for s, p in zip(spans, point, strict=True))


def _index(field: LayerField, q: tuple[int, ...]) -> tuple[Any, ...]:
    """The output elements at spatial position q (every channel)."""
    at: list[Any] = [slice(None)] * len(field.output_shape)
    for a, i in zip(field.axes, q, strict=True):
        assert a.output_axis is not None
        at[a.output_axis] = i
    return tuple(at)


def _perturbed(
    network: Network,
    report: Report,
    index: int,
    samples: Samples,
    seed: int,
    max_memory: int | str | None,
    bound: int | None = None,
    whole: bool = False,
) -> list[Any]:
    """The layer's output (one sample each) for the zero input, then for each sample's points set
    (each channel its own value), then, with `whole`, for every input element its own value."""
    import numpy as np

    from netcalc.backend import init_tensor, stream, tensor_shapes

    skeleton = _skeleton(network, index)
    checked = analyze(skeleton)
    inputs: Samples = [(), *samples, *([()] if whole else [])]  # the zero input first
    chunk_size = _chunk(skeleton, checked, min(CHUNK, len(inputs)), bound)
    limit = arguments.max_memory(max_memory)
    check_memory(skeleton, checked, chunk_size, 8, DEFAULT_MAX_MEMORY if limit is None else limit)
    shapes = tensor_shapes(skeleton, [r.input_shapes for r in checked.rows])
    layers = {node.path: node.layer for node in skeleton.nodes}
    weights = {}
    for key, shape in shapes.items():
        path, name = key.rsplit("/", 1)
        rng = stream(seed, key)
        drawn = init_tensor(name, shape, False, layers[path], rng, np.float64)
        weights[key] = np.zeros(shape) if name in ADDITIVE else drawn
    outputs: list[Any] = []
    for start in range(0, len(inputs), chunk_size):
        chunk = inputs[start : start + chunk_size]
        x = np.zeros((len(chunk), *network.input))
        # each channel its own value: the same value in all would vanish in a normalization over them
        values = np.arange(1.0, network.input[0] + 1.0)
        for k, points in enumerate(chunk):
            for point in points:
                element: tuple[Any, ...] = (k, slice(None), *point)
                x[element] = values
            if whole and start + k == len(inputs) - 1:  # every element, each its own value
                x[k] = np.arange(1.0, x[k].size + 1.0).reshape(x[k].shape)
        given: Any = x
        if len(network.inputs) > 1:  # fields are on the first input; the others hold zeros
            first = next(iter(network.inputs))
            given = {n: x if n == first else np.zeros((len(chunk), *s)) for n, s in network.inputs.items()}
        result = run(skeleton, checked, max_memory, x=given, weights=dict(weights), dtype="float64")
        outputs.extend(result.output)
    return outputs


def _chunk(skeleton: Network, report: Report, most: int, bound: int | None) -> int:
    """The most perturbed inputs (at most `most`, at least 1) one float64 run holds within `bound`."""
    size = most
    while size > 1 and bound is not None and estimate_peak_bytes(skeleton, size, 8, report) > bound:
        size -= 1
    return size


def _skeleton(network: Network, index: int) -> Network:
    """The network up to layer `index`, without activations, max pooling made average pooling."""
    nodes = tuple(replace(node, layer=_linear(node.layer)) for node in network.nodes[: index + 1])
    kept = {path for node in nodes for path in node.groups}
    groups = tuple(g for g in network.groups if g.path in kept)
    return replace(network, nodes=nodes, groups=groups, declared=())  # its output: layer `index`


def _linear(layer: Layer) -> Layer:
    from netcalc import layers as L

    if isinstance(layer, L.Activation):
        return L.Dropout(rate=0.0, name=layer.name)  # the identity in inference
    if isinstance(layer, L.GlobalMaxPool):
        return L.GlobalAvgPool(name=layer.name)
    average = {L.MaxPool1d: L.AvgPool1d, L.MaxPool2d: L.AvgPool2d, L.MaxPool3d: L.AvgPool3d}
    if isinstance(layer, L.MaxPool1d | L.MaxPool2d | L.MaxPool3d) and set(layer.axes("dilation")) == {1}:
        fields = {"size": layer.size, "stride": layer.stride, "padding": layer.padding}
        return average[type(layer)](**fields, ceil_mode=layer.ceil_mode, name=layer.name)
    if getattr(layer, "activation", None) is not None:
        return layer.model_copy(update={"activation": None})
    return layer
