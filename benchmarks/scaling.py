"""Linear to 100,000 layers: µs and peak memory per layer of load, analysis and JSON, old beside new.

Not a test: run it by hand and record the figures.

    python benchmarks/scaling.py [--sizes 1000 10000 100000] [--old /work/wt/speed-old] [--timeout 60]

Three generated specs at each size: a chain (conv/batchnorm/relu, one entry per layer), a DAG whose
units take named layers further back (`add` and `concat` with `from: [-1, NAME]`), and nested
repeats (a block of a repeated block, `from: input` inside). Each run is a fresh process of the old
or the new tree (OLD/.venv's Python for the old one) that reads the file, loads it, analyzes it and
writes its JSON to /dev/null, and reports the time of each step and its peak resident memory above
what the process held before the file was read. Old and new run one after the other at each point.
An old run that takes longer than --timeout is cut off and shown as more than that.

Judged by: at most 30 µs per layer and under 1 KB per layer at 100,000 layers, and µs per layer
flat from 1,000 to 100,000 (no step worse than linear).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Run in the measured tree's own Python: the figures of one spec as one JSON line.
DRIVER = r"""
import gc, json, resource, sys, time
import netcalc
from netcalc.render import Options, render
from netcalc.report import analyze

def rss_kb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() // 1024

netcalc.load("input: [1]\nlayers: [relu]\n")  # the import and first-use costs stay out of the figures
gc.collect()
base = rss_kb()
c0, t0 = time.process_time(), time.perf_counter()
network = netcalc.load(sys.argv[1])
t1 = time.perf_counter()
report = analyze(network)
t2 = time.perf_counter()
text = render("count", "json", [report], Options())
with open("/dev/null", "w") as out:
    for part in [text] if isinstance(text, str) else text:  # the old tree: one text; the new: parts
        out.write(part)
t3 = time.perf_counter()
cpu = time.process_time() - c0
with open("/proc/self/status") as f:  # VmHWM: this process's own high-water mark (ru_maxrss keeps
    peak = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))  # the parent's across exec)
print(json.dumps({"layers": len(report.rows), "load": t1 - t0, "analyze": t2 - t1, "json": t3 - t2,
                  "cpu": cpu, "peak_kb": peak - base}))
"""


def chain(layers: int) -> str:
    """conv2d, batchnorm, relu, ... one entry per layer."""
    cycle = ["conv2d: {filters: 8, kernel: 3, padding: same, bias: false}", "batchnorm", "relu"]
    body = [f"  - {cycle[i % 3]}" for i in range(layers - 1)]
    return "input: [8, 8, 8]\nlayers:\n" + "\n".join(body) + "\n  - global_avgpool\n"


def dag(layers: int) -> str:
    """Units of five: a named conv, relu, conv, add (from the named conv), concat (from it too)."""
    lines = []
    for u in range(layers // 5):
        lines += [
            f"  - conv2d: {{filters: 8, kernel: 1, name: c{u}}}",
            "  - relu",
            "  - conv2d: {filters: 8, kernel: 1}",
            f"  - add: {{from: [-1, c{u}]}}",
            f"  - concat: {{from: [-1, c{u}]}}",
        ]
    lines += ["  - relu"] * (layers - 5 * (layers // 5))
    return "input: [8, 4, 4]\nlayers:\n" + "\n".join(lines) + "\n"


def nested(layers: int) -> str:
    """`outer` repeated: `inner` (conv, relu, add from input) repeated 10 times, then a batchnorm."""
    outer = 10 * 3 + 1
    repeat, rest = divmod(layers, outer)
    return (
        "input: [8, 8, 8]\n"
        "blocks:\n"
        "  inner:\n"
        "    layers:\n"
        "      - conv2d: {filters: 8, kernel: 3, padding: 1}\n"
        "      - relu\n"
        "      - add: {from: [-1, input]}\n"
        "  outer:\n"
        "    layers:\n"
        "      - inner: {repeat: 10}\n"
        "      - batchnorm\n"
        "layers:\n"
        f"  - outer: {{repeat: {repeat}}}\n" + "  - relu\n" * rest
    )


SHAPES = {"chain": chain, "dag": dag, "nested repeats": nested}


def measure(python: Path, tree: Path, spec: Path, timeout: float) -> dict[str, float] | None:
    """One fresh process of `tree` on `spec`: its figures, or None when it ran past the timeout."""
    try:
        done = subprocess.run(
            [str(python), "-c", DRIVER, str(spec)],
            capture_output=True,
            text=True,
            check=True,
            timeout=timeout,
            cwd=tree,
        )
    except subprocess.TimeoutExpired:
        return None
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def shown(figures: dict[str, float] | None, timeout: float) -> str:
    if figures is None:
        return f"{'> ' + format(timeout, '.0f') + ' s':>46}"
    n = figures["layers"]
    total = figures["load"] + figures["analyze"] + figures["json"]
    steps = "/".join(f"{figures[k] / n * 1e6:.0f}" for k in ("load", "analyze", "json"))
    cpu = figures["cpu"] / n * 1e6
    return f"{total / n * 1e6:6.0f} µs ({steps:>11}) cpu {cpu:4.0f} µs {figures['peak_kb'] / n:5.2f} KB"


def floors(spec: Path) -> str:
    """CPU µs per layer of the libraries under each step, in this process, the garbage collector
    paused as netcalc pauses it: libyaml's events alone (what netcalc's YAML reader builds on),
    PyYAML's C loader (plain dicts, no line numbers), and json.dumps of the report's data, compact
    (its C encoder) and with indent=2 (its pure-Python encoder, which the old tree used)."""
    import time

    import yaml

    import netcalc
    from netcalc.collector import paused

    text = spec.read_text()
    with paused():
        start = time.process_time()
        for _ in yaml.parse(text, Loader=yaml.CSafeLoader):
            pass
        events = time.process_time() - start
        start = time.process_time()
        yaml.load(text, Loader=yaml.CSafeLoader)  # noqa: S506 (the safe C loader)
        parsed = time.process_time() - start
        report = netcalc.analyze(netcalc.load(text))
        data = report.to_dict()
        start = time.process_time()
        json.dumps(data)
        compact = time.process_time() - start
        start = time.process_time()
        json.dumps(data, indent=2)
        indented = time.process_time() - start
    n = len(report.rows) / 1e6
    return (
        f"floors (CPU µs per layer): libyaml events {events / n:.0f}, PyYAML C loader {parsed / n:.0f}, "
        f"json.dumps compact (C) {compact / n:.0f}, json.dumps indent=2 {indented / n:.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--old", type=Path, default=Path("/work/wt/speed-old"))
    parser.add_argument("--timeout", type=float, default=60)
    options = parser.parse_args()
    old_python = options.old / ".venv" / "bin" / "python"
    print(
        "per layer: wall µs (load/analyze/json µs), the process's CPU µs (steadier on a busy machine), "
        "peak resident KB above the loaded process"
    )
    print(f"{'spec':16} {'layers':>8}   {'old':>46}   {'new':>46}   old/new (CPU)")
    with tempfile.TemporaryDirectory() as tmp:
        for name, generate in SHAPES.items():
            for size in options.sizes:
                spec = Path(tmp) / f"{name.replace(' ', '_')}-{size}.yaml"
                spec.write_text(generate(size))
                old = measure(old_python, options.old, spec, options.timeout)
                new = measure(Path(sys.executable), ROOT, spec, options.timeout * 10)
                assert new is not None
                if old is not None:
                    assert old["layers"] == new["layers"], (old, new)

                def total(f: dict[str, float]) -> float:
                    return f["load"] + f["analyze"] + f["json"]

                ratio = f"{old['cpu'] / new['cpu']:6.1f}x" if old else "      -"
                print(
                    f"{name:16} {int(new['layers']):>8,}   {shown(old, options.timeout)}   "
                    f"{shown(new, options.timeout)}   {ratio}",
                    flush=True,
                )
                if size == max(options.sizes):
                    print(f"{'':27}{floors(spec)}", flush=True)


if __name__ == "__main__":
    main()
