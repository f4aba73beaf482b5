"""What the backend commands show: a verification per layer, the statistics of a run, an export."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from netcalc.verification import Verification


def verification_text(result: Verification) -> str:
    """Every layer's check as an aligned table, then the verdict."""
    mark = {True: "ok", False: "MISMATCH"}
    checks = result.checks
    name_w = max([len(c.name) for c in checks] + [5])
    kind_w = max([len(c.kind) for c in checks] + [4])
    shape_w = max([len("x".join(map(str, c.output_shape))) for c in checks] + [5])
    lines = [
        f"{result.name}: engine vs NumPy backend ({result.source})",
        f"  {'':<8} {'#':>4}  {'Layer':<{name_w}}  {'Type':<{kind_w}}  {'Shape':<{shape_w}}"
        f"  {'Params':>12}  {'Neurons':>12}  {'MACs':>16}",
    ]
    for c in checks:
        shape = "x".join(map(str, c.output_shape))
        lines.append(
            f"  {mark[c.ok]:<8} {c.index:>4}  {c.name:<{name_w}}  {c.kind:<{kind_w}}  "
            f"{shape:<{shape_w}}  {c.params:>12,}  {c.neurons:>12,}  {c.macs:>16,}"
        )
        lines.extend(f"           {m}" for m in c.mismatches)
    agree = sum(c.ok for c in checks)
    verdict = "every figure verified" if result.ok else "MISMATCH"
    lines.append(
        f"  {agree}/{len(checks)} layers agree (shapes, tensors, neurons, MACs, live memory): {verdict}"
    )
    estimate, recorded = (max(getattr(c, f) for c in checks) for f in ("live_estimate", "live_recorded"))
    lines.append(f"  peak live activations: {estimate:,} bytes by liveness, {recorded:,} held by the backend")
    for f in result.fields:
        positions = ", ".join("(" + ", ".join(map(str, q)) + ")" for q in f.positions)
        lines.append(
            f"  receptive field of layer {f.index} ({f.name}) at outputs {positions}: "
            f"{f.unchanged} inputs outside a field left its output unchanged, "
            f"{f.changed} corners of a field changed it: " + ("verified" if not f.mismatches else "MISMATCH")
        )
        lines.extend(f"           {m}" for m in f.mismatches)
    return "\n".join(lines) + "\n"


def run_text(stats: dict[str, Any]) -> str:
    """One line of output statistics, then where files were saved."""
    shape = "x".join(map(str, stats["output_shape"]))
    lines = [
        f"{stats['spec']}: output {shape} {stats['dtype']}  mean {stats['mean']:.6g}  "
        f"std {stats['std']:.6g}  min {stats['min']:.6g}  max {stats['max']:.6g}"
    ]
    lines += [f"saved {what} to {path}" for what, path in stats.get("saved", {}).items()]
    return "\n".join(lines) + "\n"


def export_text(summary: dict[str, Any]) -> str:
    """The line that says what export wrote."""
    return (
        f"{summary['spec']}: wrote {summary['path']} (opset {summary['opset']}, "
        f"{_count(summary['nodes'], 'node')}, {_count(summary['weights'], 'weight')})\n"
    )


def _count(n: int, noun: str) -> str:
    """'1 node', '2 nodes', '1,000 weights'."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"
