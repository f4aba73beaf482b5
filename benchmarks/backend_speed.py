"""Forward-pass time and peak memory of the NumPy backend, next to the BLAS floor of the same work,
for the old tree beside the new one, at one and two BLAS threads; and the peak memory of a whole
`netcalc verify zoo:vgg16` process, old and new.

    python benchmarks/backend_speed.py [--runs 5] [--batch 1] [--old /work/wt/speed-old] [SPEC ...]
                                       (default zoo:resnet18 zoo:vgg16)

For each spec: the median time of `netcalc.run` with the weights given (so it times the forward
pass, not the seeded initialization), the peak memory of one such run, and the floor: for every
conv and dense layer one np.matmul of the im2col-shaped operands (P x CK) @ (CK x F) on random
pre-allocated arrays of the right shapes (a batched matmul per group for grouped convs), timed the
same way, layer by layer, and summed. backend / floor is the overhead of padding, window gathering,
transposes, activations and everything else the backend does around the products. Each figure comes
from a fresh process of one tree (`--child`; OLD/.venv's Python for the old tree, which runs this
file against its own netcalc) with OPENBLAS_NUM_THREADS and OMP_NUM_THREADS set; old and new
alternate. A script, not a test: it asserts nothing. Timings are only meaningful on an otherwise
idle machine; the floor is measured in the same process as the backend, so the ratio is steadier.

Judged by: ResNet-18 within 1.5x of the floor on one thread, VGG-16 within 1.3x, both within 2x
on two threads; `netcalc verify zoo:vgg16` no higher than 638 MiB at its peak (max RSS).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from math import prod
from pathlib import Path

import numpy as np

import netcalc

ROOT = Path(__file__).resolve().parents[1]


CLOCK = time.perf_counter  # --cpu: time.process_time, steadier on a busy machine (one BLAS thread)


def timings(fn, runs: int) -> tuple[float, float]:
    """(median, min) time of fn() over `runs` calls by CLOCK, after one warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        start = CLOCK()
        fn()
        times.append(CLOCK() - start)
    return statistics.median(times), min(times)


def matmul_shapes(spec, batch: int) -> list[tuple[int, int, int, int]]:
    """(groups, P, CK, F per group) of every conv and dense layer, from the engine's rows."""
    report = netcalc.analyze(spec)
    shapes = []
    for node, row in zip(spec.nodes, report.rows, strict=True):
        if row.kind.startswith("conv") and "transpose" not in row.kind:
            groups = node.layer.groups
            filters, out_spatial = row.output_shape[0], prod(row.output_shape[1:])
            ck = row.counts.macs // (filters * out_spatial)  # C / groups * prod(kernel)
            shapes.append((groups, batch * out_spatial, ck, filters // groups))
        elif row.kind == "dense":
            rows_in = prod(row.input_shapes[0][:-1])
            shapes.append((1, batch * rows_in, row.input_shapes[0][-1], row.output_shape[-1]))
    return shapes


def blas_floor(shapes, dtype, runs: int) -> tuple[float, float]:
    """The bare matrix products of one forward pass: (sum of medians, sum of minima) per layer.

    Each layer's product is timed on its own, `runs` times, so that one slow outlier of a
    product does not decide the figure of the whole pass.
    """
    rng = np.random.default_rng(0)
    medians, minima = 0.0, 0.0
    for g, p, ck, f in shapes:
        a = rng.standard_normal((g, p, ck), dtype=np.float32).astype(dtype)
        b = rng.standard_normal((g, ck, f), dtype=np.float32).astype(dtype)
        if g == 1:
            a, b, out = a[0], b[0], np.empty((p, f), dtype)
        else:
            out = np.empty((g, p, f), dtype)
        median, least = timings(lambda a=a, b=b, out=out: np.matmul(a, b, out=out), runs)
        medians, minima = medians + median, minima + least
    return medians, minima


def peak_memory(fn) -> int:
    """Peak bytes that tracemalloc saw allocated during one call of fn.

    NumPy reports its array allocations to tracemalloc, so this is the high-water mark of the
    Python and NumPy heap during the call, above what was already allocated before it (here: the
    weights and the input). BLAS's own internal buffers are not counted.
    """
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def blas_info() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        config = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        threads = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
        return (
            f"{config.get('name')} {config.get('version')} (threads: "
            f"{threads or 'default, one per core'}; install threadpoolctl for the live count)"
        )
    pools = [p for p in threadpool_info() if p["user_api"] == "blas"]
    return (
        "; ".join(
            f"{p['internal_api']} {p['version']} kernel {p.get('architecture')} threads {p['num_threads']}"
            for p in pools
        )
        or "no BLAS pool found"
    )


def bench(source: str, batch: int, runs: int, dtype: str) -> dict[str, float]:
    """The figures of one spec in this process: times in seconds, memory in bytes."""
    spec = netcalc.load(source)
    x = np.random.default_rng(0).standard_normal((batch, *spec.input)).astype(dtype)
    weights = netcalc.run(spec, x=x, dtype=dtype, max_memory=2**40).flat_weights()
    weight_bytes = sum(a.nbytes for a in weights.values())

    def forward():
        return netcalc.run(spec, x=x, weights=weights, dtype=dtype, max_memory=2**40)

    backend_time, backend_min = timings(forward, runs)
    floor, floor_min = blas_floor(matmul_shapes(spec, batch), dtype, runs)
    traced = peak_memory(forward)
    return {
        "backend": backend_time,
        "backend_min": backend_min,
        "floor": floor,
        "floor_min": floor_min,
        "peak": traced + weight_bytes + x.nbytes,
        "gmacs": netcalc.analyze(spec).totals.macs * batch / 1e9,
    }


def child(
    tree: Path, python: Path, threads: int, options: argparse.Namespace, source: str
) -> dict[str, float]:
    """bench() in a fresh process of `tree` with `threads` BLAS threads."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads)}
    command = [str(python), str(Path(__file__).resolve()), "--child", source]
    command += ["--runs", str(options.runs), "--batch", str(options.batch), "--dtype", options.dtype]
    command += ["--cpu"] if options.cpu else []
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=tree, env=env)
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


# A wrapper process per measurement: ru_maxrss of RUSAGE_CHILDREN is the largest child's so far
MAX_RSS = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def verify_peak(tree: Path, python: Path) -> tuple[float, float]:
    """(max RSS in MiB, seconds) of a whole `netcalc verify zoo:vgg16` process of `tree`, one thread."""
    command = [str(python), "-c", "from netcalc.cli import main; main()", "verify", "zoo:vgg16"]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MAX_RSS, *command],
        capture_output=True,
        text=True,
        check=True,
        cwd=tree,
        env=env,
    )
    took = time.perf_counter() - start
    scale = 1 if platform.system() == "Darwin" else 1024  # Linux reports KiB
    return int(done.stdout.strip()) * scale / 2**20, took


GOALS = {"zoo:resnet18": 1.5, "zoo:vgg16": 1.3}  # one thread; two threads: 2.0 for both


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="*", default=["zoo:resnet18", "zoo:vgg16"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--old", type=Path, default=Path("/work/wt/speed-old"))
    parser.add_argument("--child", action="store_true", help="measure one spec here and print JSON")
    parser.add_argument("--no-verify", action="store_true", help="skip the verify zoo:vgg16 processes")
    parser.add_argument(
        "--cpu", action="store_true", help="time by CPU time (one thread only): steadier on a busy machine"
    )
    args = parser.parse_args()
    if args.child:
        global CLOCK
        CLOCK = time.process_time if args.cpu else time.perf_counter
        print(json.dumps(bench(args.specs[0], args.batch, args.runs, args.dtype)))
        return
    trees = {"old": (args.old, args.old / ".venv" / "bin" / "python"), "new": (ROOT, Path(sys.executable))}
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} cores")
    print(f"BLAS: {blas_info()}")
    if not args.no_verify:
        peaks = {label: verify_peak(tree, python) for label, (tree, python) in trees.items()}
        print(
            "netcalc verify zoo:vgg16 (batch 2, one thread), max RSS: "
            + ", ".join(f"{label} {mib:.0f} MiB in {took:.0f} s" for label, (mib, took) in peaks.items())
            + f" (goal <= 638 MiB: {'met' if peaks['new'][0] <= 638 else 'NOT met'})"
        )
    for source in args.specs:
        for threads in (1,) if args.cpu else (1, 2):
            figures = {
                label: child(tree, python, threads, args, source) for label, (tree, python) in trees.items()
            }
            goal = GOALS.get(source, 1.5) if threads == 1 else 2.0
            gmacs = figures["new"]["gmacs"]
            print(f"{source} batch {args.batch} {args.dtype}, {threads} thread(s), {gmacs:.2f} GMACs")
            for label, f in figures.items():
                print(
                    f"  {label}: backend {f['backend'] * 1e3:7.1f} ms, floor {f['floor'] * 1e3:7.1f} ms, "
                    f"backend / floor {f['backend'] / f['floor']:5.2f}x (of minima "
                    f"{f['backend_min'] / f['floor_min']:.2f}x), forward peak {f['peak'] / 2**20:.0f} MiB"
                )
            ratio = figures["new"]["backend"] / figures["new"]["floor"]
            print(
                f"  old / new backend time {figures['old']['backend'] / figures['new']['backend']:.2f}x; "
                f"goal {goal}x of the floor: {'met' if ratio <= goal else 'NOT met'}"
            )


if __name__ == "__main__":
    main()
