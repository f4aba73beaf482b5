"""`explain`: where every figure of a layer comes from, as its formula with the layer's numbers."""

from __future__ import annotations

from typing import Annotated

import typer

from netcalc.cli.app import (
    BatchOpt,
    DepthOpt,
    Format,
    FormatOpt,
    InputOpt,
    SetOpt,
    SpecArg,
    app,
    emit,
    load_spec,
)
from netcalc.render import check_format


@app.command()
def explain(
    spec: SpecArg,
    layers: Annotated[
        list[str] | None,
        typer.Argument(help="layers to explain, by name or index (default: all)", show_default=False),
    ] = None,
    format: FormatOpt = Format.table,
    depth: DepthOpt = None,
    batch: BatchOpt = 1,
    set: SetOpt = None,
    input: InputOpt = None,
) -> None:
    """Each layer's shape, parameters per tensor, neurons, MACs, receptive field and memory, as the
    formula with this layer's numbers: params = 64 × (1 × 3 × 3) + 64 = 640.

    With every layer (the default), the totals are shown as the sums of the layers, term by term;
    --depth N explains blocks nested deeper than N as the sums of their layers.

    \b
    Example: netcalc explain specs/dense-vs-conv/dense.yaml
    Example: netcalc explain zoo:resnet18 conv1 fc
    """
    from netcalc import explain as explained

    check_format("explain", format.value)
    network = load_spec(spec, set, input)
    result = explained(network, layers=layers or (), depth=depth, batch=batch)
    emit("explain", format, [result])
