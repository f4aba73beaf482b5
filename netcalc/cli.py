"""The `netcalc` command line: the one place that turns NetcalcError into an exit code."""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from typing import Annotated

import typer

from netcalc import __version__
from netcalc.errors import NetcalcError

EXAMPLES = """
Examples:

  netcalc count specs/dense-vs-conv/conv.yaml

  netcalc count zoo:resnet50 --depth 1 --batch 32

  netcalc count my.yaml --format json | jq .totals.params

  netcalc compare specs/dense-vs-conv/dense.yaml specs/dense-vs-conv/conv.yaml

  netcalc layers conv2d
"""

app = typer.Typer(
    name="netcalc",
    help="A calculator for neural-network designs: shapes, parameters, neurons, MACs and memory "
    "of every layer of a YAML spec.\n\n" + EXAMPLES,
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


SpecsArg = Annotated[list[str], typer.Argument(help="spec files (YAML or JSON) or zoo:NAME")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="output format")]
BatchOpt = Annotated[int, typer.Option("--batch", "-b", min=1, help="batch size for MACs and memory")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"netcalc {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="print the version and exit")] = False,
) -> None:
    """netcalc: count what a network design costs before you build it."""


def fancy() -> bool:
    """Colour tables on a terminal; plain text in pipes and under NO_COLOR."""
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def console():
    """A rich Console: colour on a terminal, plain wide text in a pipe or under NO_COLOR."""
    from rich.console import Console

    if sys.stdout.isatty():
        return Console(no_color="NO_COLOR" in os.environ or None)
    return Console(width=200, no_color=True, color_system=None)


def fail(error: NetcalcError) -> typer.Exit:
    """Print the error's lines on stderr and return the exit to raise."""
    for line in str(error).splitlines():
        typer.echo(f"error: {line}", err=True)
    return typer.Exit(error.exit_code)


def analyze_all(paths: list[str], batch: int):
    """Load and analyze each spec, in order."""
    import netcalc

    return [netcalc.analyze(netcalc.load(p), batch=batch) for p in paths]


@app.command()
def count(
    specs: SpecsArg,
    format: FormatOpt = Format.table,
    depth: Annotated[int | None, typer.Option(
        "--depth", "-d", min=0, help="collapse block groups nested deeper than this")] = None,
    batch: BatchOpt = 1,
    verify: Annotated[bool, typer.Option(
        "--verify", help="also execute the spec with the NumPy backend and check every count")
    ] = False,
) -> None:
    """Shapes, parameters, neurons, MACs and memory of every layer of each spec.

    Example: netcalc count specs/dense-vs-conv/conv.yaml --format json
    """
    from netcalc import render

    try:
        reports = analyze_all(specs, batch)
    except NetcalcError as error:
        raise fail(error) from None
    if format is Format.json:
        typer.echo(render.json_text(reports), nl=False)
    elif format is Format.csv:
        typer.echo("".join(render.csv_text(r) if i == 0 else render.csv_text(r).split("\n", 1)[1]
                           for i, r in enumerate(reports)), nl=False)
    elif format is Format.markdown:
        typer.echo("\n".join(render.markdown(r, depth) for r in reports), nl=False)
    elif fancy():
        out = console()
        for report in reports:
            out.print(render.rich_table(report, depth))
    else:
        typer.echo("\n".join(render.plain_table(r, depth) for r in reports), nl=False)
    if verify:
        _verify(specs, batch, quiet=format is not Format.table)


@app.command()
def compare(
    specs: Annotated[list[str], typer.Argument(help="two or more spec files or zoo:NAME")],
    format: FormatOpt = Format.table,
    batch: BatchOpt = 1,
) -> None:
    """Totals of several specs side by side, with the ratio of each to the first.

    Example: netcalc compare specs/dense-vs-conv/dense.yaml specs/dense-vs-conv/conv.yaml
    """
    from netcalc import render

    if len(specs) < 2:
        typer.echo("error: compare needs at least two specs", err=True)
        raise typer.Exit(2)
    try:
        reports = analyze_all(specs, batch)
    except NetcalcError as error:
        raise fail(error) from None
    if format is Format.json:
        typer.echo(json.dumps(render.compare_data(reports), indent=2))
    elif format is Format.csv:
        typer.echo(render.compare_csv(reports), nl=False)
    elif format is Format.markdown:
        typer.echo(render.compare_markdown(reports), nl=False)
    else:
        console().print(render.compare_table(reports))


@app.command()
def layers(
    kinds: Annotated[list[str] | None, typer.Argument(help="layer types to show (default all)")] = None,
    format: FormatOpt = Format.table,
) -> None:
    """Every layer type with its arguments, defaults and aliases.

    Example: netcalc layers conv2d maxpool2d
    """
    from netcalc.catalog import catalog

    try:
        entries = catalog(kinds or [])
    except NetcalcError as error:
        raise fail(error) from None
    if format is Format.json:
        typer.echo(json.dumps(entries, indent=2))
        return
    from netcalc.catalog import catalog_text

    typer.echo(catalog_text(entries, markdown=format is Format.markdown), nl=False)


@app.command()
def schema() -> None:
    """The JSON Schema of the spec format, for editors (e.g. yaml-language-server).

    Example: netcalc schema > netcalc.schema.json
    """
    from netcalc.schema import spec_schema

    typer.echo(json.dumps(spec_schema(), indent=2))


@app.command()
def zoo(format: FormatOpt = Format.table) -> None:
    """The shipped specs of well-known networks, with their totals (use them as zoo:NAME).

    Example: netcalc count zoo:resnet50
    """
    from netcalc import render
    from netcalc.zoo import names

    try:
        reports = analyze_all([f"zoo:{n}" for n in names()], 1)
    except NetcalcError as error:
        raise fail(error) from None
    if format is Format.json:
        typer.echo(json.dumps(render.compare_data(reports)["specs"], indent=2))
        return
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, title="netcalc zoo", title_justify="left")
    for name in ("Spec", "Input", "Output", "Params", "MACs", "Description"):
        table.add_column(name, justify="right" if name in ("Params", "MACs") else "left")
    for name, r in zip(names(), reports, strict=True):
        table.add_row(f"zoo:{name}", render.shape_text(r.input_shape),
                      render.shape_text(r.output_shape), f"{r.params:,}",
                      render.human(r.totals.macs), r.description or "")
    console().print(table)


def _verify(specs: list[str], batch: int, quiet: bool = False) -> None:
    typer.echo("error: --verify needs the NumPy backend, which is not built yet", err=True)
    raise typer.Exit(2)


def main() -> None:
    """Entry point of the console script."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as error:  # a bug: say so in one line instead of a traceback
        if os.environ.get("NETCALC_DEBUG"):
            raise
        typer.echo(f"netcalc: internal error (please report it): {type(error).__name__}: {error}",
                   err=True)
        sys.exit(70)
