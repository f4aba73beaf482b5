"""`diagram` and `report`: pictures and pages of one spec, written to a file or stdout."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from netcalc.cli.app import BatchOpt, InputOpt, SetOpt, SpecArg, app, load_spec, read_source
from netcalc.cli.backend import check_outputs
from netcalc.errors import NetcalcError
from netcalc.render import check_format, render

SUFFIXES = {".svg": "svg", ".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".mermaid": "mermaid"}
OutputOpt = Annotated[
    str | None, typer.Option("--output", "-o", help="the file to write (default: stdout)", show_default=False)
]


def write(text: str, output: str | None) -> None:
    """Text to a file (its folder created) or to stdout."""
    if output is None or output == "-":
        typer.echo(text, nl=False)
        return
    path = Path(output)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise NetcalcError(f"{output}: cannot write: {error.strerror or error}") from None
    typer.echo(f"wrote {output}", err=True)


@app.command()
def diagram(
    spec: SpecArg,
    output: OutputOpt = None,
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="svg, dot or mermaid [default: from the -o suffix, else svg]",
            show_default=False,
        ),
    ] = None,
    depth: Annotated[
        int | None,
        typer.Option(
            "--depth", "-d", help="draw the blocks nested this deep as one box each (1: top-level blocks)"
        ),
    ] = None,
    colour: Annotated[
        str, typer.Option("--colour", "--color", help="colour the boxes by their share of params or macs")
    ] = "params",
    batch: BatchOpt = 1,
    set: SetOpt = None,
    input: InputOpt = None,
) -> None:
    """Draw the network: a box per layer (or per block with --depth), each with its type, output
    shape, parameters and MACs, coloured by its share; skip connections dashed.

    SVG is laid out with the graphviz-pure wheel (pip install netcalc[diagram]); DOT and Mermaid
    are text for Graphviz users and for Markdown pages.

    \b
    Examples:
      netcalc diagram zoo:unet --depth 1 -o unet.svg
      netcalc diagram zoo:resnet50 --depth 1 --colour macs -f mermaid
      netcalc diagram my.yaml -o my.dot
    """
    from netcalc.explore.diagram import diagram as build
    from netcalc.report import analyze

    fmt = format or (SUFFIXES.get(Path(output).suffix.lower(), "svg") if output else "svg")
    check_format("diagram", fmt)
    check_outputs({"--output": output if output != "-" else None}, [spec], f"diagram.{fmt}")
    network = load_spec(spec, set, input)
    picture = build(analyze(network, batch=batch), depth, colour)
    write(render("diagram", fmt, picture), output)


@app.command()
def report(
    spec: SpecArg,
    output: OutputOpt = None,
    batch: BatchOpt = 1,
    set: SetOpt = None,
    input: InputOpt = None,
) -> None:
    """One self-contained HTML page: totals, diagram, memory, the layer table with collapsible
    blocks, and the spec itself (no external scripts, styles or fonts).

    \b
    Examples:
      netcalc report zoo:resnet50 -o resnet50.html
      cat my.yaml | netcalc report - --set width=48 -o my.html
    """
    import netcalc

    check_outputs({"--output": output if output != "-" else None}, [spec], "report.html")
    text = read_source(spec)
    network = load_spec(spec, set, input, piped=text if spec == "-" else None)  # '-' is read once
    write(netcalc.html_report(network, batch, spec_text(spec, text)), output)


def spec_text(spec: str, source: str) -> str:
    """The spec as written: the file's text, the zoo model's, or what came on stdin."""
    if spec == "-":
        return source
    if spec.startswith("zoo:"):
        from netcalc.zoo import zoo_path

        return zoo_path(spec[4:]).read_text(encoding="utf-8")
    try:
        return Path(spec).read_text(encoding="utf-8")
    except (OSError, ValueError) as error:
        raise NetcalcError(f"{spec}: cannot read: {error}") from None
