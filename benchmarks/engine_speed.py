"""How long `netcalc count` takes on generated specs of 100, 1,000 and 10,000 layers.

Not a test: run it by hand and record the figures in the README.

    python benchmarks/engine_speed.py [--runs 5] [--sizes 100 1000 10000]

Each spec mixes a residual block (conv/batchnorm/relu, with an `add` skip) used with `repeat` and a
plain list of conv/batchnorm/relu/dropout layers. For each size it prints the median wall time of a
whole `netcalc count SPEC` process (stdout to a pipe: the plain-text table), of the same with
`--format json`, and of `load` + `analyze` in this process; `python -c pass`, timed the same way,
is the interpreter's floor, and process times are also given as multiples of it.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BLOCK_LAYERS = 7  # the residual block below expands to 7 layers
HEAD = ["global_avgpool", "flatten", "dense: {units: 10}"]


def generate(layers: int) -> str:
    """A spec that expands to exactly `layers` layers: half repeated blocks, half a plain list."""
    plain = (layers - len(HEAD)) // 2
    repeat = (layers - len(HEAD) - plain) // BLOCK_LAYERS
    plain = layers - len(HEAD) - repeat * BLOCK_LAYERS  # the remainder goes to the plain list
    cycle = [
        "conv2d: {filters: 16, kernel: 3, padding: same, bias: false}",
        "batchnorm",
        "relu",
        "dropout: {rate: 0.1}",
    ]
    body = [cycle[i % len(cycle)] for i in range(plain)]
    lines = [
        f"name: generated-{layers}",
        "input: [16, 32, 32]",
        "blocks:",
        "  res:",
        "    args: {filters: 16}",
        "    layers:",
        "      - conv2d: {filters: $filters, kernel: 3, padding: same, bias: false, name: a}",
        "      - batchnorm",
        "      - relu",
        "      - conv2d: {filters: $filters * 1, kernel: 3, padding: same, bias: false}",
        "      - batchnorm",
        "      - add: {from: [-1, input]}",
        "      - relu",
        "layers:",
    ]
    if repeat:
        lines.append(f"  - res: {{filters: 16, repeat: {repeat}}}")
    lines += [f"  - {entry}" for entry in body + HEAD]
    return "\n".join(lines) + "\n"


def median_seconds(command: list[str], runs: int) -> float:
    """Median wall time of a process, its stdout read through a pipe."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, check=False)  # stdout to a pipe
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed: {done.stderr.decode()}")
    return statistics.median(times)


def median_in_process(path: Path, runs: int) -> tuple[float, int]:
    """Median time of netcalc.load + netcalc.analyze in this process, and the layer count."""
    import netcalc

    times, rows = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        report = netcalc.analyze(netcalc.load(path))
        times.append(time.perf_counter() - start)
        rows = len(report.rows)
    return statistics.median(times), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1_000, 10_000])
    options = parser.parse_args()

    script = shutil.which("netcalc", path=str(Path(sys.executable).parent)) or shutil.which("netcalc")
    netcalc_cmd = [script] if script else [sys.executable, "-m", "netcalc"]
    floor = median_seconds([sys.executable, "-c", "pass"], options.runs)
    print(f"python {sys.version.split()[0]}, median of {options.runs} runs, command: {' '.join(netcalc_cmd)}")
    print(f"interpreter floor (python -c pass): {floor:.3f} s\n")
    header = ("layers", "count (s)", "x floor", "--format json (s)", "x floor", "in-process load+analyze (s)")
    print("  ".join(header))
    with tempfile.TemporaryDirectory() as folder:
        for size in options.sizes:
            path = Path(folder) / f"generated-{size}.yaml"
            path.write_text(generate(size))
            in_process, rows = median_in_process(path, options.runs)
            assert rows == size, f"generated {rows} layers instead of {size}"
            table = median_seconds([*netcalc_cmd, "count", str(path)], options.runs)
            as_json = median_seconds([*netcalc_cmd, "count", str(path), "--format", "json"], options.runs)
            cells = (
                f"{size:,}",
                f"{table:.3f}",
                f"{table / floor:.1f}",
                f"{as_json:.3f}",
                f"{as_json / floor:.1f}",
                f"{in_process:.3f}",
            )
            print("  ".join(c.rjust(len(h)) for c, h in zip(cells, header, strict=True)))


if __name__ == "__main__":
    main()
