"""How long a 1,000-point sweep of ResNet-50 takes, in the library and as a `netcalc sweep` process.

Not a test: run it by hand and record the figures.

    python benchmarks/sweep_speed.py [--points 1000] [--runs 3]

The spec is the zoo's ResNet-50 with its input written `[3, $size, $size]` under `args: {size: 224}`;
the sweep takes size = 32, 33, ... (one point per size). It prints the median wall time of
`sweep()` on a loaded network (the spec read and validated once, re-expanded at every point), per
point, and of a whole `netcalc sweep ... -f csv` process; then, for contrast, the time per point of
loading the spec from its text at each point (what a shell loop over `netcalc count` pays at least).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import netcalc
from netcalc.explore.sweep import grid, sweep
from netcalc.zoo import zoo_path


def resnet50_with_size() -> str:
    """The zoo's ResNet-50 with its input size as a spec argument."""
    text = zoo_path("resnet50").read_text()
    assert "input: [3, 224, 224]\n" in text
    return text.replace("input: [3, 224, 224]\n", "args: {size: 224}\ninput: [3, $size, $size]\n")


def median_time(action, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    FASTEST.append(min(times))
    return statistics.median(times)


FASTEST: list[float] = []  # the fastest run of each timing: the figure least disturbed by other jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    text = resnet50_with_size()
    values = f"size=32..{32 + options.points - 1}+1"
    points = grid({"size": values.split("=")[1]})
    network = netcalc.load(text)
    result = sweep([network], points)
    assert len(result.points) == options.points
    at_224 = next(p for p in result.points if p.args["size"] == 224)
    assert at_224.values["params"] == 25_557_032 and at_224.values["macs"] == 4_089_184_256
    library = median_time(lambda: sweep([network], points), options.runs)
    print(
        f"ResNet-50, {options.points:,} points ({values}), library sweep(): {library:.2f} s "
        f"({library / options.points * 1000:.2f} ms per point; fastest run {FASTEST[-1]:.2f} s)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "resnet50.yaml"
        spec.write_text(text)
        command = [sys.executable, "-m", "netcalc", "sweep", str(spec), "--set", values, "-f", "csv"]
        process = median_time(lambda: subprocess.run(command, check=True, capture_output=True), options.runs)
    print(f"  netcalc sweep process (csv): {process:.2f} s (fastest {FASTEST[-1]:.2f} s)")
    few = points[:50]
    reload = median_time(
        lambda: [netcalc.analyze(netcalc.load(text, args=p)) for p in few], options.runs
    ) / len(few)
    print(f"  for contrast, reading and validating the spec at each point: {reload * 1000:.2f} ms per point")


if __name__ == "__main__":
    main()
