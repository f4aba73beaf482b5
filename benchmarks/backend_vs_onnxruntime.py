"""Forward time of the NumPy backend next to onnxruntime's, on the same model, input and threads.

    python benchmarks/backend_vs_onnxruntime.py [--runs 5] [--batch 1] [--threads N] [SPEC ...]
    (default zoo:resnet18 zoo:vgg16)

For each spec: the model is exported with `netcalc.interop.onnx_export.to_onnx` from the weights of one
backend run; then the wall time of `netcalc.run` with those weights given (the forward pass, not
the seeded initialization) next to that of `InferenceSession.run` on the same input, median and
min of --runs calls after a warm-up call each, and their ratios. The thread count is the same on
both sides: NumPy's BLAS is limited to N threads (OPENBLAS_NUM_THREADS and friends, set before
NumPy is imported, and threadpoolctl when installed, which also reports the live count) and
onnxruntime gets intra_op_num_threads = N, inter_op_num_threads = 1, sequential execution.
A script, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("specs", nargs="*", default=["zoo:resnet18", "zoo:vgg16"])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per side (median)")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads for both sides (default: OPENBLAS_NUM_THREADS if set, "
        "else the CPUs this process may use)",
    )
    return parser.parse_args()


def times(fn, runs: int) -> list[float]:
    """Wall times of fn() over `runs` calls, after one warm-up call."""
    fn()
    result = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        result.append(time.perf_counter() - start)
    return result


def limit_blas(threads: int) -> tuple[object, str]:
    """Limit NumPy's BLAS to `threads` (threadpoolctl if installed) and say how it was done."""
    import numpy as np

    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    name = f"{blas.get('name')} {blas.get('version')}"
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        return None, (
            f"{name}: {threads} threads via {THREAD_VARIABLES[0]} set before NumPy's "
            "import (threadpoolctl not installed: live count not confirmed)"
        )
    limiter = threadpool_limits(limits=threads, user_api="blas")
    live = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    return limiter, f"{name}: {', '.join(map(str, live)) or '?'} threads (threadpoolctl)"


def bench(source: str, batch: int, runs: int, threads: int) -> dict:
    import numpy as np
    import onnxruntime as ort

    import netcalc
    from netcalc.interop.onnx_export import to_onnx

    spec = netcalc.load(source)
    x = np.random.default_rng(0).standard_normal((batch, *spec.input)).astype("float32")
    seeded = netcalc.run(spec, x=x, max_memory=2**40)
    weights = seeded.flat_weights()
    # the backend first, so that no onnxruntime thread is alive (or spinning) while it runs
    backend = times(lambda: netcalc.run(spec, x=x, weights=weights, max_memory=2**40), runs)

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    model = to_onnx(spec, weights=seeded).SerializeToString()
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    y = session.run(None, {"input": x})[0]
    onnx_times = times(lambda: session.run(None, {"input": x}), runs)
    return {
        "spec": source,
        "input": "x".join(map(str, spec.input)),
        "backend": backend,
        "onnxruntime": onnx_times,
        "diff": float(np.abs(y - seeded.output).max()),
        "scale": float(np.abs(seeded.output).max()),
    }


def main() -> None:
    args = parse_args()
    given = os.environ.get(THREAD_VARIABLES[0])
    threads = args.threads or (int(given) if given else len(os.sched_getaffinity(0)))
    for variable in THREAD_VARIABLES:  # read by the BLAS when NumPy loads it, so set them first
        os.environ[variable] = str(threads)
    import numpy as np
    import onnxruntime as ort

    _limiter, blas = limit_blas(threads)
    print(
        f"NumPy {np.__version__} backend vs onnxruntime {ort.__version__} (CPU), "
        f"batch {args.batch}, float32, {args.runs} runs after a warm-up: median (min); "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load()}"
    )
    print(f"BLAS: {blas}")
    print(f"onnxruntime: intra_op_num_threads {threads}, inter_op_num_threads 1, sequential\n")
    header = (
        f"{'spec':<13} {'input':<10} {'backend ms':>17} {'onnxruntime ms':>17} "
        f"{'backend/ort':>15} {'max |diff| / max |y|':>21}"
    )
    print(header)
    print("-" * len(header))
    for source in args.specs:
        r = bench(source, args.batch, args.runs, threads)
        ours, theirs = r["backend"], r["onnxruntime"]
        ratio = statistics.median(ours) / statistics.median(theirs)
        print(
            f"{r['spec']:<13} {r['input']:<10} {summary(ours):>17} {summary(theirs):>17} "
            f"{ratio:>7.1f}x ({min(ours) / min(theirs):.1f}x) "
            f"{r['diff']:>9.2e} / {r['scale']:.3g}",
            flush=True,
        )
    print(f"\nload average after: {load()} (other processes slow a 2-thread BLAS down sharply)")


def summary(seconds: list[float]) -> str:
    """'median (min)' in milliseconds."""
    return f"{statistics.median(seconds) * 1e3:.1f} ({min(seconds) * 1e3:.1f})"


def load() -> str:
    """The 1-minute load average: the machine may be shared."""
    return f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "?"


if __name__ == "__main__":
    main()
