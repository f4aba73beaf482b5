"""Forward-pass time and peak memory of the NumPy backend, next to the BLAS floor of the same work.

    python benchmarks/backend_speed.py [--runs 11] [--batch 1] [SPEC ...]    (default zoo:resnet18 zoo:vgg16)

For each spec: the median time of `netcalc.run` with the weights given (so it times the forward
pass, not the seeded initialization), the peak memory of one such run, and the floor: for every
conv and dense layer one np.matmul of the im2col-shaped operands (P x CK) @ (CK x F) on random
pre-allocated arrays of the right shapes (a batched matmul per group for grouped convs), timed the
same way, layer by layer, and summed. backend / floor is the overhead of padding, window gathering,
transposes, activations and everything else the backend does around the products. A script, not a
test: it asserts nothing. Timings are only meaningful on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from math import prod

import numpy as np

import netcalc


def timings(fn, runs: int) -> tuple[float, float]:
    """(median, min) wall time of fn() over `runs` calls, after one warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
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


def max_rss() -> int:
    """The process's resident-set high-water mark so far, in bytes (ru_maxrss)."""
    scale = 1 if platform.system() == "Darwin" else 1024  # Linux reports KiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


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


def bench(source: str, batch: int, runs: int, dtype: str) -> None:
    spec = netcalc.load(source)
    report = netcalc.analyze(spec)
    x = np.random.default_rng(0).standard_normal((batch, *spec.input)).astype(dtype)
    start = time.perf_counter()
    seeded = netcalc.run(spec, x=x, dtype=dtype, max_memory=2**40)
    init_time = time.perf_counter() - start
    weights = seeded.flat_weights()
    weight_bytes = sum(a.nbytes for a in weights.values())

    def forward():
        return netcalc.run(spec, x=x, weights=weights, dtype=dtype, max_memory=2**40)

    backend_time, backend_min = timings(forward, runs)
    shapes = matmul_shapes(spec, batch)
    floor, floor_min = blas_floor(shapes, dtype, runs)
    traced = peak_memory(forward)
    estimate = netcalc.verification.estimate_peak_bytes(spec, batch, np.dtype(dtype).itemsize)
    gmacs = report.totals.macs * batch / 1e9
    print(
        f"{source}  input {batch}x{'x'.join(map(str, spec.input))} {dtype}  "
        f"{report.params:,} params  {gmacs:.2f} GMACs  {len(report.rows)} layers"
    )
    print(
        f"  backend forward     {backend_time * 1e3:9.1f} ms   median of {runs} "
        f"(min {backend_min * 1e3:.1f} ms; {gmacs * 2 / backend_time:.1f} GFLOP/s)"
    )
    print(
        f"  BLAS floor          {floor * 1e3:9.1f} ms   {len(shapes)} matmuls (P x CK) @ (CK x F), sum of "
        f"per-layer medians of {runs} (minima: {floor_min * 1e3:.1f} ms; {gmacs * 2 / floor:.1f} GFLOP/s)"
    )
    print(
        f"  backend / floor     {backend_time / floor:9.2f}x   (of the minima: "
        f"{backend_min / floor_min:.2f}x)"
    )
    print(f"  first run with seeded init {init_time * 1e3:.1f} ms")
    print(
        f"  peak memory         {(traced + weight_bytes + x.nbytes) / 2**20:9.1f} MiB   "
        f"tracemalloc peak during one forward {traced / 2**20:.1f} MiB + weights "
        f"{weight_bytes / 2**20:.1f} MiB + input {x.nbytes / 2**20:.1f} MiB held before it"
    )
    print(
        f"  guard's estimate    {estimate / 2**20:9.1f} MiB   (weights + live activations + "
        f"one layer's workspace)"
    )
    print(f"  process max RSS so far {max_rss() / 2**20:.1f} MiB (ru_maxrss, whole process)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="*", default=["zoo:resnet18", "zoo:vgg16"])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} cores")
    print(f"BLAS: {blas_info()}")
    print(
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')} "
        f"OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE', '(unset)')}"
    )
    for source in args.specs:
        bench(source, args.batch, args.runs, args.dtype)


if __name__ == "__main__":
    main()
