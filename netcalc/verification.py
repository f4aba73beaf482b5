"""Where the engine meets the NumPy backend: the memory guard, runs, and the check of every count.

The only module that imports both: the backend stays an independent witness of the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import prod
from typing import TYPE_CHECKING, Any

from netcalc import arguments
from netcalc.analysis.liveness import liveness
from netcalc.errors import ResourceError, UsageError
from netcalc.graph import Network
from netcalc.report import Report, analyze

if TYPE_CHECKING:
    from netcalc.backend import Result

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

    @property
    def ok(self) -> bool:
        """True when every layer agrees."""
        return all(c.ok for c in self.checks)

    def failures(self) -> list[str]:
        """One line per disagreement, naming the layer and both figures."""
        return [
            f"{self.source}: layer {c.index} '{c.kind}' ({c.name}): {m}"
            for c in self.checks
            for m in c.mismatches
        ]

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
                    "mismatches": list(c.mismatches),
                }
                for c in self.checks
            ],
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
    views = frozenset(
        node.index for node, op in zip(network.nodes, ops, strict=True) if op.view(node.layer, training)
    )
    live = liveness(network, report.rows, training_only=True, views=views, keep_input=True).live
    weights = peak = 0
    for row, node, op, alive in zip(report.rows, network.nodes, ops, live, strict=True):
        weights += sum(row.tensors.values()) + sum(row.state_tensors.values())
        workspace = op.workspace(node.layer, row.input_shapes, row.output_shape, itemsize, training)
        # a draw makes one temporary, except where NumPy reuses it in place (arrays over 256 KiB)
        draw = min(max(row.tensors.values(), default=0), ELIDED_BYTES // itemsize)
        output = 0 if row.index in views else prod(row.output_shape)
        peak = max(peak, weights + draw + batch * (alive - output), weights + batch * (alive + workspace))
    return peak * itemsize + OVERHEAD_BYTES + OVERHEAD_PER_LAYER * len(report.rows)


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
            f"{network.source}: running this spec needs about {_size(need)} "
            f"(weights, live activations and kernel workspace at batch {batch}), over the limit of "
            f"{_size(limit)} — lower --batch or raise --max-memory (e.g. --max-memory {_hint(need)})"
        )
    return need


def _size(n: int) -> str:
    """Bytes in the largest binary unit that keeps the figure at 1 or more: '1.4 MiB'."""
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n:,} bytes"


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
    checked = report or analyze(network)
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
    result = run(network, report, max_memory, seed=seed, batch=batch, dtype=dtype, progress=progress)
    checks = []
    for row, trace in zip(report.rows, result.traces, strict=True):
        problems = []
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
            )
        )
    return Verification(report.name, report.source, tuple(checks))


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
