"""Many designs: 1,000 ResNet-50 variants from one loaded network, old beside new.

Not a test: run it by hand and record the figures.

    python benchmarks/reanalyze_speed.py [--old /work/wt/speed-old] [--rounds 3]

The zoo's ResNet-50 with two spec arguments, `base` (the stem's filters and every stage's width
as base, 2 base, 4 base, 8 base; 64 is torchvision's) and `size` (the input's height and width):
25 widths (16..64, step 2) times 40 sizes (128..245, step 3) = 1,000 variants, each a new set of
layers. The spec is read and validated once; each variant is `load(network, args=...)` (arguments
substituted, the blocks re-expanded) and then either the sweep's totals (`netcalc.sweep`, the
library call behind `netcalc sweep`) or a full `analyze` (every pass, as `count` does). Each run is
a fresh process of the old or the new tree (OLD/.venv's Python for the old one), old and new
alternating, `--rounds` times; the medians are printed.

Judged by: the 1,000 variants' sweep in under 5 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

DRIVER = r"""
import json, sys, time
import netcalc
from netcalc.explore.sweep import grid, sweep
from netcalc.report import analyze
from netcalc.zoo import zoo_path

text = zoo_path("resnet50").read_text()
text = text.replace("input: [3, 224, 224]\n", "args: {size: 224, base: 64}\ninput: [3, $size, $size]\n")
for a, b in (("width: 64,", "width: $base,"), ("width: 128,", "width: $base * 2,"),
             ("width: 256,", "width: $base * 4,"), ("width: 512,", "width: $base * 8,"),
             ("filters: 64, kernel: 7", "filters: $base, kernel: 7")):
    assert a in text, a
    text = text.replace(a, b)
network = netcalc.load(text)
points = grid({"base": "16..64+2", "size": "128..245+3"})
assert len(points) == 1000
cpu, start = time.process_time(), time.perf_counter()
result = sweep([network], points)
swept, swept_cpu = time.perf_counter() - start, time.process_time() - cpu
at = next(p for p in result.points if p.args == {"base": 64, "size": 224})
assert at.values["params"] == 25_557_032 and at.values["macs"] == 4_089_184_256, at.values
start = time.perf_counter()
for point in points[: int(sys.argv[1])]:
    analyze(netcalc.load(network, args=point))
analyzed = (time.perf_counter() - start) / int(sys.argv[1]) * 1000
print(json.dumps({"sweep": swept, "sweep_cpu": swept_cpu, "analyze": analyzed}))
"""


def measure(python: Path, tree: Path, analyzed: int) -> dict[str, float]:
    """One fresh process of `tree`: the sweep's seconds and analyze's seconds per 1,000 variants."""
    done = subprocess.run(
        [str(python), "-c", DRIVER, str(analyzed)], capture_output=True, text=True, check=True, cwd=tree
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--old", type=Path, default=Path("/work/wt/speed-old"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--analyzed", type=int, default=200, help="variants given a full analyze")
    options = parser.parse_args()
    trees = {
        "old": (options.old / ".venv" / "bin" / "python", options.old),
        "new": (Path(sys.executable), ROOT),
    }
    runs: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
    for _ in range(options.rounds):
        for label, (python, tree) in trees.items():
            runs[label].append(measure(python, tree, options.analyzed))
    median = {
        label: {k: statistics.median(r[k] for r in results) for k in ("sweep", "sweep_cpu", "analyze")}
        for label, results in runs.items()
    }
    old, new = median["old"], median["new"]
    print(f"1,000 ResNet-50 variants (25 widths x 40 sizes), medians of {options.rounds} alternating runs")
    print(
        f"  sweep totals:  old {old['sweep']:.2f} s, new {new['sweep']:.2f} s "
        f"({old['sweep'] / new['sweep']:.1f}x) — goal under 5 s: {'met' if new['sweep'] < 5 else 'NOT met'}"
    )
    print(
        f"  sweep CPU time: old {old['sweep_cpu']:.2f} s, new {new['sweep_cpu']:.2f} s "
        f"({old['sweep_cpu'] / new['sweep_cpu']:.1f}x; steadier than wall time on a busy machine)"
    )
    print(
        f"  full analyze:  old {old['analyze']:.2f} s, new {new['analyze']:.2f} s per 1,000 "
        f"({old['analyze'] / new['analyze']:.1f}x; {options.analyzed} variants timed; the new report has "
        "more passes)"
    )


if __name__ == "__main__":
    main()
