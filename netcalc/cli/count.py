"""`count` and `compare`: the calculator commands (pure Python; NumPy only for --verify)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from netcalc.cli.app import (
    BatchOpt,
    Convention,
    ConventionOpt,
    DepthOpt,
    Format,
    FormatOpt,
    InputOpt,
    SetOpt,
    SpecsArg,
    app,
    each,
    emit,
    load_all,
    raise_all,
)
from netcalc.errors import UsageError
from netcalc.render import check_format


class Optimizer(StrEnum):
    sgd = "sgd"
    momentum = "momentum"
    adam = "adam"
    adamw = "adamw"


class Precision(StrEnum):
    fp32 = "fp32"
    bf16_mixed = "bf16-mixed"
    fp16_mixed = "fp16-mixed"


class Checkpoint(StrEnum):
    none = "none"
    blocks = "blocks"


TrainOpt = Annotated[
    bool,
    typer.Option(
        "--train",
        help="training memory instead: weights, gradients, optimizer state, master weights and "
        "the activations PyTorch autograd saves for the backward pass",
    ),
]
OptimizerOpt = Annotated[
    Optimizer,
    typer.Option(
        "--optimizer", help="training memory (count --train, check --max-train-memory): the optimizer's state"
    ),
]
PrecisionOpt = Annotated[
    Precision,
    typer.Option(
        "--precision",
        help="training memory (count --train, check --max-train-memory): fp32 or mixed precision",
    ),
]
CheckpointOpt = Annotated[
    Checkpoint,
    typer.Option("--checkpoint", help="with --train: 'blocks' checkpoints each top-level block"),
]


@app.command()
def count(
    context: typer.Context,
    specs: SpecsArg,
    format: FormatOpt = Format.table,
    depth: DepthOpt = None,
    batch: BatchOpt = 1,
    verify: Annotated[
        bool,
        typer.Option("--verify", help="also execute the spec with the NumPy backend and check every count"),
    ] = False,
    set: SetOpt = None,
    input: InputOpt = None,
    convention: ConventionOpt = Convention.netcalc,
    train: TrainOpt = False,
    optimizer: OptimizerOpt = Optimizer.adam,
    precision: PrecisionOpt = Precision.fp32,
    checkpoint: CheckpointOpt = Checkpoint.none,
) -> None:
    """Shapes, parameters, neurons, MACs and memory of every layer of each spec.

    \b
    Example: netcalc count specs/dense-vs-conv/conv.yaml --format json
    Example: netcalc count zoo:resnet18 --convention torchinfo
    Example: netcalc count zoo:resnet50 --train --batch 64 --optimizer adamw --precision bf16-mixed
    """
    from netcalc.report import analyze

    if not train:
        for name in ("optimizer", "precision", "checkpoint"):
            source = context.get_parameter_source(name)
            if source is not None and source.name == "COMMANDLINE":
                raise UsageError(f"--{name} is an option of --train: add --train, or drop --{name}")
    if train:
        if convention != Convention.netcalc or verify:
            raise UsageError("--train shows netcalc's training memory: drop --convention and --verify")
        check_format("train", format.value)
        options = {"optimizer": optimizer.value, "precision": precision.value, "checkpoint": checkpoint.value}
        memories, failures = each(load_all(specs, set, input), lambda n: training(n, batch, options))
        if memories:
            emit("train", format, memories, many=len(specs) > 1)
        raise_all(failures)
        return
    check_format("count" if convention == Convention.netcalc else "convention", format.value)
    reports, failures = each(load_all(specs, set, input), lambda n: (n, analyze(n, batch=batch)))
    if reports and convention != Convention.netcalc:
        emit("convention", format, conventions(convention, [r for _, r in reports]), many=len(specs) > 1)
    elif reports:
        emit("count", format, [r for _, r in reports], depth=depth, many=len(specs) > 1)
    raise_all(failures)
    if verify:
        from netcalc.cli.backend import verify_networks

        verify_networks([n for n, _ in reports], Format.table, batch=max(batch, 2))


@app.command()
def compare(
    specs: Annotated[list[str], typer.Argument(help="two or more spec files, zoo:NAME, or - for stdin")],
    format: FormatOpt = Format.table,
    batch: BatchOpt = 1,
    set: SetOpt = None,
    input: InputOpt = None,
    convention: ConventionOpt = Convention.netcalc,
) -> None:
    """Totals of several specs side by side, with the ratio of each to the first.

    \b
    Example: netcalc compare specs/dense-vs-conv/dense.yaml specs/dense-vs-conv/conv.yaml
    Example: netcalc compare zoo:resnet18 zoo:resnet50 --convention fvcore --format markdown
    """
    from netcalc.report import analyze

    check_format("compare" if convention == Convention.netcalc else "convention", format.value)
    if len(specs) < 2:
        raise UsageError("compare needs at least two specs")
    reports, failures = each(load_all(specs, set, input), lambda n: analyze(n, batch=batch))
    raise_all(failures)  # a comparison needs every spec: each wrong one has its line
    if convention != Convention.netcalc:
        emit("convention", format, conventions(convention, reports), many=True)
        return
    emit("compare", format, reports)


def training(network: Any, batch: int, options: dict[str, str]) -> Any:
    """A network's training memory at the batch and options."""
    from netcalc import engine
    from netcalc.analysis.training import training_memory

    return training_memory(network, engine.rows(network), batch, **options)


def conventions(name: Convention, reports: list[Any]) -> list[Any]:
    """Each report's totals as the tool `name` gives them."""
    from netcalc.analysis.conventions import convention

    return [convention(name.value, r) for r in reports]


@app.command()
def rf(
    specs: SpecsArg,
    format: FormatOpt = Format.table,
    depth: DepthOpt = None,
    set: SetOpt = None,
    input: InputOpt = None,
) -> None:
    """Receptive field of every layer along each spatial axis: size r, stride S, padding P.

    In the convention of Araujo, Norris and Sim (Distill, 2019): output i sees input positions
    [-P + i*S, -P + i*S + r - 1]. 'global' after a layer that reads a whole axis (global pool,
    dense after flatten, attention); a range of sizes where the field depends on the position.

    \b
    Example: netcalc rf zoo:vgg16 --depth 1
    """
    from netcalc.report import analyze

    check_format("rf", format.value)
    reports, failures = each(load_all(specs, set, input), analyze)
    if reports:
        emit("rf", format, reports, depth=depth, many=len(specs) > 1)
    raise_all(failures)
