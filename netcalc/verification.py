"""The check of the engine's formulas against the NumPy backend's arrays, layer by layer."""

from __future__ import annotations

from dataclasses import dataclass

from netcalc.engine import analyze
from netcalc.spec import Spec


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

    def to_dict(self) -> dict:
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


def verify(
    spec: Spec,
    seed: int = 0,
    batch: int = 2,
    dtype: str = "float32",
    max_memory: int | None = None,
    progress=None,
) -> Verification:
    """Run the spec on the backend and compare shapes, tensors, neurons and MACs per layer."""
    from netcalc.backend import DEFAULT_MAX_MEMORY, run

    report = analyze(spec)
    result = run(
        spec,
        seed=seed,
        batch=batch,
        dtype=dtype,
        max_memory=max_memory or DEFAULT_MAX_MEMORY,
        progress=progress,
    )
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
