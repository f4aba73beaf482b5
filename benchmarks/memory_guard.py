"""The memory guard's estimate against the measured peak of real runs (tracemalloc).

For every case of the case table (float32 and float64, at a batch of a few MiB of arrays) and every
zoo model at a small input, prints the estimate, the measured peak and their ratio. The guard is an
upper bound when every ratio is >= 1; tests/test_memory_guard.py asserts estimate <= 1.5 x measured
+ 1 MiB on the fast subset.

    python benchmarks/memory_guard.py [--zoo-only]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import netcalc  # noqa: E402
from netcalc.spec import read  # noqa: E402
from netcalc.verification import estimate_peak_bytes  # noqa: E402
from netcalc.zoo import names  # noqa: E402

SLACK = 2**20


def main() -> None:
    from test_memory_guard import bracket, measured_peak

    measured_peak(netcalc.load({"input": [4], "layers": ["relu"]}), 2)  # NumPy's first-draw tables
    if "--zoo-only" not in sys.argv:
        from cases import CASES, spec_dict

        for dtype in ("float32", "float64"):
            ratios = []
            for case in CASES:
                _, estimate, measured = bracket(netcalc.load(spec_dict(case)), dtype)
                ratios.append((estimate / measured, (estimate - SLACK) / measured, case.id))
            low, high = min(ratios), max(ratios, key=lambda r: r[1])
            print(
                f"case table {dtype}: {len(ratios)} cases, estimate / measured from {low[0]:.3f} ({low[2]}) "
                f"to {max(ratios)[0]:.2f}; (estimate - 1 MiB) / measured at most {high[1]:.2f} ({high[2]})"
            )
    print(f"\n{'zoo model':22s} {'input':>12s} {'estimate':>12s} {'measured':>12s} {'ratio':>6s} {'run':>6s}")
    for name in names():
        raw, _ = read(f"zoo:{name}")
        network, shape = None, [0]
        for size in (32, 64, 96, 128, 192, 299, 572):
            shape = [raw["input"][0], size, size]
            try:
                network = netcalc.load({**raw, "input": shape})
                netcalc.analyze(network)
                break
            except netcalc.NetcalcError:
                network = None
        if network is None:
            print(f"{name:22s} no small input fits")
            continue
        start = time.perf_counter()
        estimate = estimate_peak_bytes(network, 1, 4)
        measured = measured_peak(network, 1)
        took = time.perf_counter() - start
        print(
            f"{name:22s} {'x'.join(map(str, shape)):>12s} {estimate / 2**20:9.1f} MiB "
            f"{measured / 2**20:9.1f} MiB {estimate / measured:6.3f} {took:5.1f}s"
        )


if __name__ == "__main__":
    main()
