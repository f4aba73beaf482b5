"""The expansion limit (graph.MAX_LAYERS): how fast a spec that expands past it is refused, beside
the floor of loading a real network (zoo:resnet50, 200-odd layers), in CPU time.

Not a test: run it by hand and record the figures.

    python benchmarks/expansion_limit.py [--runs 5]

Each hostile spec expands to 2^30 layers or block instances: 30 nested `repeat: 2`, a DAG of blocks
each using the next twice, repeats given by block arguments, block uses whose every layer is skipped
by when:, and one wide `repeat: 150000` of two layers. Before the size was worked out from the spec
(6e077da), the first three built 200,000 layers before the error (7.4 s CPU for the first, a whole
`netcalc count` process) and the skipped ones looped 2^30 times. Goal: each refused in less time
than the floor takes, since refusing should cost no more than loading a real network; the uses with
their own arguments (each (block, arguments) is worked out once) are refused after 200,000 distinct
ones, seconds, not the goal.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's netcalc

import netcalc  # noqa: E402
from netcalc.errors import SpecError  # noqa: E402


def nested(body: list[str], depth: int = 30, last: str = "relu", top: str = "b0") -> str:
    """Blocks b0 .. b{depth}: each holds `body` (uses of the next one), the last `last`."""
    text = "input: [4]\nblocks:\n"
    for i in range(depth):
        text += f"  b{i}:\n    args: {{k: 1}}\n    layers:\n"
        text += "".join(f"      - {entry.format(n=i + 1)}\n" for entry in body)
    return text + f"  b{depth}:\n    args: {{k: 1}}\n    layers: [{last}]\nlayers: [{top}]\n"


SPECS = {
    "nested repeat: 2, 30 deep": nested(["b{n}: {{repeat: 2}}"]),
    "DAG, each block uses the next twice": nested(["b{n}", "b{n}"]),
    "repeat: $k from arguments": nested(["b{n}: {{repeat: $k, k: 2}}"], top="b0: {k: 2}"),
    "2^30 uses, every layer skipped": nested(["b{n}", "b{n}"], last="relu: {when: $k > 5}"),
    "2^30 uses, each with its own arguments": nested(
        ["b{n}: {{k: $k * 2}}", "b{n}: {{k: $k * 2 + 1}}"], last="relu: {when: $k < 0}"
    ),
    "wide: repeat 150000 of 2 layers": "input: [4]\nblocks:\n  two:\n    layers: [relu, tanh]\n"
    "layers:\n  - two: {repeat: 150000}\n",
}


def cpu(action: Callable[[], object], runs: int) -> float:
    """Median CPU seconds of `action`."""
    times = []
    for _ in range(runs):
        start = time.process_time()
        action()
        times.append(time.process_time() - start)
    return statistics.median(times)


def refuse(text: str) -> None:
    try:
        netcalc.load(text)
    except SpecError:
        return
    raise SystemExit(f"not refused: {text[:60]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    floor = cpu(lambda: netcalc.load("zoo:resnet50"), runs)
    print(f"  {'floor: load zoo:resnet50':<40} {floor * 1000:8.1f} ms")
    for name, text in SPECS.items():
        spent = cpu(lambda text=text: refuse(text), runs)
        print(f"  {name:<40} {spent * 1000:8.1f} ms  {spent / floor:5.2f}x the floor")


if __name__ == "__main__":
    main()
