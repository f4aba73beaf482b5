"""`torch` and `import`: netcalc specs to and from other tools' model formats."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from netcalc.cli.app import SpecArg, app, load_spec
from netcalc.errors import NetcalcError


def write_text(path: str, text: str) -> None:
    """Write a file, or a one-line NetcalcError saying why not."""
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise NetcalcError(f"{path}: cannot write: {error.strerror or error}") from None


@app.command("torch")
def torch_code(
    spec: SpecArg,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="the .py file to write; default: stdout")
    ] = None,
) -> None:
    """Write the spec as a readable PyTorch module (one attribute per layer, blocks as sub-modules).

    Parameter names are the spec's layer paths, so weights saved by `netcalc run --save-weights`
    load by name. Writing the code needs nothing; running it needs PyTorch.

    Example: netcalc torch zoo:resnet18 -o resnet18.py
    """
    from netcalc.interop.torch_code import torch_source

    text = torch_source(load_spec(spec))
    if output is None:
        typer.echo(text, nl=False)
        return
    write_text(output, text)
    typer.echo(f"wrote {output}")
