"""`run`, `verify` and `export`: the commands that execute a spec with the NumPy backend."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from netcalc.arguments import parse_bytes
from netcalc.cli.app import (
    BatchOpt,
    Format,
    FormatOpt,
    InputOpt,
    SetOpt,
    SpecArg,
    SpecsArg,
    app,
    each,
    emit,
    load_all,
    load_spec,
    raise_all,
)
from netcalc.errors import NetcalcError, UsageError, VerifyError
from netcalc.render import check_format

if TYPE_CHECKING:
    from netcalc.graph import Network

SHAPE = re.compile(r"\d+(x\d+)*", re.IGNORECASE)  # run's --input: a shape like 3x64x64, else a .npy file


MemoryOpt = Annotated[
    str, typer.Option("--max-memory", help="stop before running if the estimated peak memory exceeds this")
]
SeedOpt = Annotated[int, typer.Option("--seed", min=0, help="seed of the weight and input generator")]


class Dtype(StrEnum):
    float32 = "float32"
    float64 = "float64"


DtypeOpt = Annotated[Dtype, typer.Option("--dtype", help="array element type of the run")]


OTHER_OUTPUTS = {"--save-weights": "weights.npz", "--plot": "sweep.png"}  # files beside --output


def check_outputs(outputs: dict[str, str | None], inputs: list[str], example: str = "out.npy") -> None:
    """Refuse, before any work, an output that is a directory or one of the files read; `example`
    names a file of the kind --output writes, for the hint."""
    for option, target in outputs.items():
        if not target:
            continue
        path = Path(target)
        if target.endswith(("/", "\\")) or path.is_dir():
            suggestion = (path / OTHER_OUTPUTS.get(option, example)).as_posix()
            raise UsageError(
                f"{option} {target}: is a directory — name the file to write, like {option} {suggestion}"
            )
        for source in inputs:
            if source != "-" and not source.startswith("zoo:") and _same_file(path, Path(source)):
                raise UsageError(f"{option} {target}: is an input of this command — write to another file")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return bool(a.exists() and b.exists() and a.samefile(b))
    except (OSError, ValueError):
        return False


class ProgressBar:
    """A rich progress bar on stderr, shown only on a terminal once a run takes over 0.3 s."""

    def __init__(self, label: str) -> None:
        self.label, self.start = label, time.perf_counter()
        self.bar: Any = None
        self.task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if not sys.stderr.isatty() or time.perf_counter() - self.start < 0.3 or done == total:
                return
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=total)
        self.bar.update(self.task, completed=done)
        if done == total:
            self.bar.stop()


@app.command()
def run(
    spec: SpecArg,
    batch: BatchOpt = 1,
    seed: SeedOpt = 0,
    input: Annotated[
        str | None,
        typer.Option(
            "--input",
            help="input array (.npy; several inputs: an .npz keyed by input name), or a new input "
            "shape like 3x224x224",
        ),
    ] = None,
    weights: Annotated[str | None, typer.Option("--weights", help="weights (.npz) to use")] = None,
    save_weights: Annotated[
        str | None, typer.Option("--save-weights", help="save the weights used to this .npz")
    ] = None,
    output: Annotated[
        str | None, typer.Option("--output", help="save the output (.npy; several outputs: .npz)")
    ] = None,
    dtype: DtypeOpt = Dtype.float32,
    max_memory: MemoryOpt = "2G",
    format: FormatOpt = Format.table,
    set: SetOpt = None,
) -> None:
    """Execute a spec with the NumPy backend and print the output's shape and statistics.

    \b
    Example: netcalc run specs/examples/tiny-resnet.yaml --batch 4 --save-weights w.npz
    """
    check_format("run", format.value)
    limit = parse_bytes(max_memory)
    inputs = [p for p in (spec, input, weights) if p]
    check_outputs({"--save-weights": save_weights, "--output": output}, inputs)
    import numpy as np

    from netcalc import backend
    from netcalc.verification import expected_tensors
    from netcalc.verification import run as run_network

    shape = input if input and SHAPE.fullmatch(input) else None  # `--input 3x64x64`, not a file
    network = load_spec(spec, set, shape)
    x = backend.load_inputs(input, network.inputs, limit) if input and not shape else None
    given = backend.load_weights(weights, expected_tensors(network)) if weights else None
    result = run_network(
        network,
        max_memory=limit,
        x=x,
        weights=given,
        seed=seed,
        batch=batch,
        dtype=dtype.value,
        progress=ProgressBar(spec),
    )
    if save_weights:
        backend.save_weights(save_weights, result)
    if output:  # several outputs: an .npz keyed by their layer names
        backend.save(output, result.output if len(result.outputs) == 1 else result.outputs)
    y = result.output
    stats = {
        "spec": network.name,
        "output_shape": list(y.shape),
        "dtype": str(y.dtype),
        "mean": float(y.mean()),
        "std": float(y.std()),
        "min": float(y.min()),
        "max": float(y.max()),
        "finite": bool(np.isfinite(y).all()),
    }
    if format is Format.table:
        stats["saved"] = {w: p for w, p in (("weights", save_weights), ("output", output)) if p}
    emit("run", format, stats)


@app.command()
def verify(
    specs: SpecsArg,
    batch: BatchOpt = 2,
    seed: SeedOpt = 0,
    dtype: DtypeOpt = Dtype.float32,
    max_memory: MemoryOpt = "2G",
    format: FormatOpt = Format.table,
    set: SetOpt = None,
    input: InputOpt = None,
) -> None:
    """Execute each spec with real arrays and check every counted figure, layer by layer.

    Compares the output shape, the elements of every weight tensor (weight, bias, running
    statistics), the neurons and the MACs. Exit code 0 when all agree, 3 on any mismatch.

    \b
    Example: netcalc verify specs/dense-vs-conv/*.yaml
    """
    check_format("verify", format.value)
    limit = parse_bytes(max_memory)
    verify_networks(load_all(specs, set, input), format, batch, seed, dtype.value, limit)


def verify_networks(
    networks: Sequence[Network | NetcalcError],
    format: Format,
    batch: int,
    seed: int = 0,
    dtype: str = "float32",
    max_memory: int | None = None,
) -> None:
    """Verify each network, show the checks, and raise VerifyError on any mismatch (with the
    errors of the specs that failed to load or to run, one line each)."""
    from netcalc.verification import verify as check

    results, failed = each(
        networks,
        lambda n: check(
            n, seed=seed, batch=batch, dtype=dtype, max_memory=max_memory, progress=ProgressBar(n.source)
        ),
    )
    if results:
        emit("verify", format, results, many=len(networks) > 1)
    mismatches = [line for r in results for line in r.failures()]
    if mismatches:
        failed.append(VerifyError("\n".join(f"mismatch: {line}" for line in mismatches)))
    raise_all(failed)


@app.command()
def export(
    spec: SpecArg,
    output: Annotated[str, typer.Option("--output", "-o", help="the .onnx file to write")],
    weights: Annotated[
        str | None,
        typer.Option("--weights", help="weights (.npz, as saved by run --save-weights); default: seeded"),
    ] = None,
    seed: SeedOpt = 0,
    opset: Annotated[int, typer.Option("--opset", help="ONNX opset version, 17 or later")] = 17,
    max_memory: MemoryOpt = "2G",
    format: FormatOpt = Format.table,
    set: SetOpt = None,
    input: InputOpt = None,
) -> None:
    """Write the spec as an ONNX model with the backend's weights (for Netron or any ONNX runtime).

    Every layer's output is named after the layer; weights are initializers named
    'layer/tensor'. Needs the onnx extra: pip install netcalc[onnx].

    \b
    Example: netcalc export zoo:resnet18 -o resnet18.onnx
    """
    import math

    check_format("export", format.value)
    limit = parse_bytes(max_memory)
    check_outputs({"--output": output}, [p for p in (spec, weights) if p], "model.onnx")
    from netcalc.interop.onnx_export import require_onnx, save, to_onnx

    require_onnx()
    from netcalc import backend
    from netcalc.verification import expected_tensors

    network = load_spec(spec, set, input)
    given = backend.load_weights(weights, expected_tensors(network)) if weights else None
    model = to_onnx(
        network, weights=given, seed=seed, opset=opset, max_memory=limit, progress=ProgressBar(spec)
    )
    summary = {
        "spec": network.name,
        "path": save(model, output),
        "opset": opset,
        "nodes": len(model.graph.node),
        "weights": sum(math.prod(t.dims) for t in model.graph.initializer),
    }
    emit("export", format, summary)


__all__ = ["UsageError", "export", "run", "verify"]
