"""Start-up: `netcalc count zoo:resnet50 --format json` as a whole process, before and after, beside
torchinfo's summary of the same network and the floor any typer + PyYAML + pydantic command pays;
and `netcalc --version`.

Not a test: run it by hand and record the figures.

    python benchmarks/startup.py [--runs 7] [--old /work/wt/speed-old] [--instructions]

`--old` is a checkout of the commit to compare with (e.g. `git worktree add /work/wt/speed-old
1eb537b`) with its own venv in OLD/.venv (`pip install -e .`). Each tree runs as `python -m
netcalc` from its own directory with its own venv's Python, so the tree measured is this checkout
(a venv's `netcalc` script may import another checkout installed in editable mode). Both trees are
byte-compiled first, as `pip install` leaves a package. The commands run interleaved, in a shuffled
order each round, and the medians are compared: the machine is shared and noisy. The peer is
tools/torchinfo_resnet50.py (torch imported, the module built, torchinfo's forward pass); the floor
is tools/startup_floor.py (a typer command with count's parameters that validates a YAML mapping
with a pydantic model), both run by this venv's Python.

Judged by: torchinfo / new (goal: 20x or more), `netcalc --version` under 0.1 s, and the new JSON
being json.dumps(indent=2)'s bytes (the old commit wrote its JSON with json.dumps; per-layer
receptive fields were added to it since, so old and new are compared as data without them).
netcalc's own start-up is new - floor; torchinfo / floor is the most any start-up over these three
libraries could reach. `--instructions` also counts the instructions each of floor, old and new
executes, once, under valgrind's callgrind: a figure the machine's load does not move.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import netcalc

ROOT = Path(__file__).resolve().parents[1]
COUNT = ["count", "zoo:resnet50", "--format", "json"]
FLOOR_ARGS = ["count", "input: [3, 224, 224]", "--format", "json"]


def commands(old: Path) -> dict[str, list[str]]:
    """Every timed command by its label."""
    python, old_python = [sys.executable], [str(old / ".venv" / "bin" / "python")]
    return {
        "old count": [*old_python, "-m", "netcalc", *COUNT],
        "new count": [*python, "-m", "netcalc", *COUNT],
        "torchinfo": [*python, str(ROOT / "tools" / "torchinfo_resnet50.py")],
        "old --version": [*old_python, "-m", "netcalc", "--version"],
        "new --version": [*python, "-m", "netcalc", "--version"],
        "python -c pass": [*python, "-c", "pass"],
        "import typer, pydantic, yaml": [*python, "-c", "import typer, pydantic, yaml"],
        "floor": [*python, str(ROOT / "tools" / "startup_floor.py"), *FLOOR_ARGS],
    }


def directory(label: str, old: Path) -> Path:
    """Where a command runs: each tree's `python -m netcalc` imports the netcalc in its directory."""
    return old if label.startswith("old") else ROOT


def timed(
    runs: int, labelled: dict[str, list[str]], old: Path
) -> tuple[dict[str, list[float]], dict[str, bytes]]:
    """Wall times of every command, `runs` rounds, each round in a new shuffled order; last outputs."""
    times: dict[str, list[float]] = {label: [] for label in labelled}
    outputs: dict[str, bytes] = {}
    order = list(labelled)
    shuffle = random.Random(0).shuffle
    for _ in range(runs):
        shuffle(order)
        for label in order:
            cpu, start = _children_cpu(), time.perf_counter()
            done = subprocess.run(labelled[label], capture_output=True, check=True, cwd=directory(label, old))
            times[label].append(time.perf_counter() - start)
            CPU.setdefault(label, []).append(_children_cpu() - cpu)
            outputs[label] = done.stdout
    return times, outputs


CPU: dict[
    str, list[float]
] = {}  # user + system seconds of each run: steadier than wall time on a busy machine


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--old", type=Path, default=Path("/work/wt/speed-old"))
    parser.add_argument("--instructions", action="store_true", help="also count instructions (valgrind)")
    options = parser.parse_args()
    for tree in (ROOT / "netcalc", options.old / "netcalc"):
        compileall.compile_dir(tree, quiet=1)
    labelled = commands(options.old)
    times, outputs = timed(options.runs, labelled, options.old)
    median = {label: statistics.median(t) for label, t in times.items()}
    cpu = {label: statistics.median(t) for label, t in CPU.items()}
    print(f"{'command':30} {'median':>9} {'fastest':>9} {'CPU time':>9}   ({options.runs} interleaved runs)")
    for label, t in times.items():
        print(
            f"{label:30} {median[label] * 1000:7.0f} ms {min(t) * 1000:7.0f} ms {cpu[label] * 1000:6.0f} ms"
        )
    peer = median["torchinfo"]
    old, new = median["old count"], median["new count"]
    print(
        f"count zoo:resnet50 --format json: old {old * 1000:.0f} ms, new {new * 1000:.0f} ms "
        f"({old / new:.2f}x)"
    )
    print(f"  torchinfo / old: {peer / old:.1f}x    torchinfo / new: {peer / new:.1f}x (goal >= 20x)")
    peer_cpu, old_cpu, new_cpu = cpu["torchinfo"], cpu["old count"], cpu["new count"]
    print(
        f"  in CPU time: old {old_cpu * 1000:.0f} ms, new {new_cpu * 1000:.0f} ms "
        f"({old_cpu / new_cpu:.2f}x); "
        f"torchinfo / new {peer_cpu / new_cpu:.1f}x (torch's threads add CPU time to its figure)"
    )
    floor, floor_cpu = median["floor"], cpu["floor"]
    print(
        f"  floor (typer + PyYAML + pydantic command): {floor * 1000:.0f} ms, {floor_cpu * 1000:.0f} ms CPU; "
        f"netcalc's own part (new - floor): {(new - floor) * 1000:.0f} ms, "
        f"{(new_cpu - floor_cpu) * 1000:.0f} ms CPU (old: {(old_cpu - floor_cpu) * 1000:.0f} ms CPU)"
    )
    print(
        f"  torchinfo / floor: {peer / floor:.1f}x, {peer_cpu / floor_cpu:.1f}x in CPU time "
        "(the most any start-up over these libraries reaches)"
    )
    version = median["new --version"]
    print(
        f"netcalc --version: old {median['old --version'] * 1000:.0f} ms, new {version * 1000:.0f} ms "
        f"({'under' if version < 0.1 else 'NOT under'} 0.1 s)"
    )
    new_text = outputs["new count"].decode()
    expected = json.dumps(netcalc.analyze("zoo:resnet50").to_dict(), indent=2) + "\n"
    same = new_text == expected
    print(
        f"new JSON byte-identical to json.dumps(report.to_dict(), indent=2): {same} ({len(new_text):,} bytes)"
    )
    old_data, new_data = json.loads(outputs["old count"]), json.loads(new_text)
    for row in new_data["layers"]:
        row.pop("receptive_field", None)  # a field added since the old commit (#9)
    print(f"old and new JSON the same data but for the receptive fields added since: {old_data == new_data}")
    if options.instructions:
        print_instructions(labelled, options.old)
    if not same:
        sys.exit(1)


INSTRUCTIONS = ("python -c pass", "floor", "old count", "new count")


def print_instructions(labelled: dict[str, list[str]], old: Path) -> None:
    """Instructions executed by the interpreter alone, the floor, and old and new count, once each."""
    counted = {label: instructions(labelled[label], directory(label, old)) for label in INSTRUCTIONS}
    floor = counted["floor"]
    print(
        "instructions executed (callgrind, once each):",
        ", ".join(f"{k} {v / 1e6:,.0f} M" for k, v in counted.items()),
    )
    print(
        f"  netcalc's own part (count - floor): old {(counted['old count'] - floor) / 1e6:,.0f} M, "
        f"new {(counted['new count'] - floor) / 1e6:,.0f} M; new / floor {counted['new count'] / floor:.2f}"
    )


def instructions(command: list[str], cwd: Path) -> int:
    """Instructions `command` executes, counted by valgrind's callgrind (hash seed fixed)."""
    if shutil.which("valgrind") is None:
        sys.exit("--instructions needs valgrind")
    environment = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
        env=environment,
    )
    return int(re.findall(r"Collected : (\d+)", done.stderr)[-1])


if __name__ == "__main__":
    main()
