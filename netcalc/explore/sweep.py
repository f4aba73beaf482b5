"""Sweeps: one loaded network re-expanded at every combination of argument values, its totals each time.

The spec is read and validated once; each point only substitutes its arguments and re-expands
(`load(network, args=...)`), then the engine and the analysis passes run as for `count`.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from netcalc.errors import NetcalcError, UsageError
from netcalc.graph import Network
from netcalc.loading import load
from netcalc.report import Report, totals_report
from netcalc.spec.args import Value, parse_shape, parse_value

MAX_POINTS = 100_000  # per spec: a sweep is a few thousand points at most; this stops a typo's runaway
_RANGE = re.compile(r"(?P<start>[^*+]+?)\.\.(?P<stop>[^*+]+)(?:(?P<op>[*+])(?P<step>.+))?")


@dataclass(frozen=True, slots=True)
class Metric:
    """A total a sweep can show: its key, its column label, its unit on a plot axis."""

    key: str
    label: str
    unit: str
    get: Callable[[Report], int]


METRICS = {
    m.key: m
    for m in (
        Metric("params", "Params", "parameters", lambda r: r.totals.params),
        Metric("non_trainable_params", "Non-trainable", "values", lambda r: r.totals.state),
        Metric("neurons", "Neurons", "neurons", lambda r: r.totals.neurons),
        Metric("macs", "MACs", "MACs", lambda r: r.totals.macs * r.batch),
        Metric("flops", "FLOPs", "FLOPs (2 x MACs)", lambda r: 2 * r.totals.macs * r.batch),
        Metric("activations", "Activations", "elements", lambda r: r.totals.activations * r.batch),
        Metric("memory", "Memory", "bytes", lambda r: r.memory.total),
        Metric("peak_memory", "Peak memory", "bytes", lambda r: r.peak_bytes),
        Metric("weights_memory", "Weights memory", "bytes", lambda r: r.memory.params),
        Metric("activation_memory", "Activation memory", "bytes", lambda r: r.memory.activations),
        Metric("layers", "Layers", "layers", lambda r: len(r.rows)),
    )
}
DEFAULT_METRICS = ("params", "neurons", "macs", "activations", "memory")


@dataclass(frozen=True, slots=True)
class Point:
    """One network at one combination of argument values, with its totals."""

    spec: str  # the network's name
    source: str
    args: dict[str, Value]  # the swept arguments only
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]  # () where the point failed
    values: dict[str, int]  # metric key -> total; empty where the point failed
    error: NetcalcError | None = field(default=None, compare=False)  # why this point has no totals


@dataclass(frozen=True, slots=True)
class Sweep:
    """Every point of a sweep, spec by spec, in the order of the product of the argument values."""

    names: tuple[str, ...]  # swept arguments, in the order given
    metrics: tuple[str, ...]
    batch: int
    points: tuple[Point, ...]

    @property
    def errors(self) -> tuple[NetcalcError, ...]:
        """The errors of the points that failed (only a sweep made with keep_going has any)."""
        return tuple(p.error for p in self.points if p.error is not None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: the arguments, the metrics and one object per point."""
        return {
            "netcalc_json": 1,
            "arguments": list(self.names),
            "metrics": list(self.metrics),
            "batch": self.batch,
            "points": [
                {
                    "spec": p.spec,
                    "source": p.source,
                    "args": dict(p.args),
                    "input_shape": list(p.input_shape),
                    "output_shape": list(p.output_shape),
                    **{m: p.values.get(m) for m in self.metrics},
                    **({"error": str(p.error)} if p.error is not None else {}),
                }
                for p in self.points
            ],
        }


def parse_values(name: str, text: str) -> list[Value]:
    """The values of one swept argument: '32,64,128', '16..128*2' (geometric), '0..1+0.25' (arithmetic);
    the name `input` takes input shapes: '3x224x224,3x320x320'."""
    text = text.strip()
    if name == "input":
        return ["x".join(map(str, parse_shape(part.strip()))) for part in text.split(",")]
    match = _RANGE.fullmatch(text)
    if not match:
        listed = [parse_value(part.strip()) for part in text.split(",")]
        if any(part == "" for part in listed):
            raise UsageError(f"--set {name}={text}: an empty value in the list")
        return listed
    start, stop = _number(name, text, match["start"]), _number(name, text, match["stop"])
    op, step = match["op"] or "+", _number(name, text, match["step"] or "1")
    if op == "*" and (start <= 0 or step <= 1):
        raise UsageError(f"--set {name}={text}: a geometric range a..b*k needs a > 0 and k > 1")
    if op == "+" and step <= 0:
        raise UsageError(f"--set {name}={text}: an arithmetic range a..b+k needs k > 0")
    if start > stop:
        raise UsageError(f"--set {name}={text}: the range starts after it ends")
    span = math.log(stop / start, step) if op == "*" else (stop - start) / step
    count = math.floor(span + 1e-9) + 1  # 0.3 / 0.1 is 2.9999999999999996: the end is included
    if count > MAX_POINTS:
        raise UsageError(f"--set {name}={text}: {count:,} values, more than {MAX_POINTS:,}")
    values: list[Value] = []
    value = start
    for _ in range(count):
        values.append(value)
        value = value * step if op == "*" else value + step
        if isinstance(value, float):
            value = round(value, 12)  # 0.1 + 0.2 is 0.3 here
    return values


def _number(name: str, text: str, part: str) -> int | float:
    value = parse_value(part.strip())
    if type(value) not in (int, float):
        raise UsageError(f"--set {name}={text}: '{part}' is not a number (a range is a..b*k or a..b+k)")
    return value  # type: ignore[return-value]


def grid(sets: dict[str, str]) -> list[dict[str, Value]]:
    """Every combination of the swept values, the first argument varying slowest."""
    if not sets:
        raise UsageError("sweep needs at least one --set NAME=VALUES, e.g. --set size=32..1024*2")
    axes = {name: parse_values(name, text) for name, text in sets.items()}
    total = math.prod(len(v) for v in axes.values())
    if total > MAX_POINTS:
        raise UsageError(f"the sweep has {total:,} points, more than {MAX_POINTS:,} — narrow a range")
    return [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())]


def check_metrics(metrics: Sequence[str]) -> tuple[str, ...]:
    """The metric keys, each known, or a UsageError listing them."""
    for key in metrics:
        if key not in METRICS:
            raise UsageError(f"--metrics {key}: unknown metric — choose from {', '.join(METRICS)}")
    if not metrics:
        raise UsageError(f"--metrics: name at least one of {', '.join(METRICS)}")
    return tuple(dict.fromkeys(metrics))


def _point(network: Network, point: dict[str, Value], batch: int, keys: tuple[str, ...]) -> Point:
    args = {k: v for k, v in point.items() if k != "input"}
    report = totals_only(load(network, args=args, input=point.get("input")), batch, keys)
    values = {k: METRICS[k].get(report) for k in keys}
    return Point(report.name, report.source, point, report.input_shape, report.output_shape, values)


def totals_only(network: Network, batch: int, keys: Sequence[str]) -> Report:
    """A report with the passes a sweep's totals need (liveness only for peak memory)."""
    return totals_report(network, batch, with_liveness="peak_memory" in keys)


def sweep(
    networks: Sequence[Network],
    points: Sequence[dict[str, Value]],
    metrics: Sequence[str] = DEFAULT_METRICS,
    batch: int = 1,
    keep_going: bool = False,
) -> Sweep:
    """Each network at each point: the totals of the chosen metrics. A point that fails raises its
    error (naming the point), or with `keep_going` is kept as a point with that error and no totals
    (a usage error, such as an argument the spec does not have, still raises: no point could work)."""
    keys = check_metrics(metrics)
    result = []
    for network in networks:
        for point in points:
            try:
                result.append(_point(network, point, batch, keys))
            except NetcalcError as error:
                at = ", ".join(f"{k}={v}" for k, v in point.items())
                failure = type(error)(f"{error} (at {at})")
                if not keep_going or isinstance(error, UsageError):  # a wrong --set fails every point
                    raise failure from None
                shape = parse_shape(str(point["input"])) if "input" in point else network.input
                result.append(Point(network.name, network.source, point, shape, (), {}, failure))
    names = tuple(points[0]) if points else ()
    return Sweep(names, keys, batch, tuple(result))
