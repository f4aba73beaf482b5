"""The typer app, its error boundary, and what every command shares: options, inputs, output."""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from netcalc import __version__
from netcalc.errors import NetcalcError, UsageError

if TYPE_CHECKING:
    from netcalc.graph import Network

EXAMPLES = """
Examples:

\b
  netcalc count specs/dense-vs-conv/conv.yaml
  netcalc count zoo:resnet50 --depth 1 --batch 32
  netcalc count my.yaml --format json | jq .totals.params
  netcalc compare specs/dense-vs-conv/dense.yaml specs/dense-vs-conv/conv.yaml
  netcalc verify zoo:lenet5
  netcalc layers conv2d
"""


class Boundary(TyperGroup):
    """The one place where a NetcalcError becomes 'error: ...' lines on stderr and an exit code.

    It wraps every command, so the console script and typer's CliRunner behave alike; the exit
    code is the error class's (1 spec or shape, 2 usage, 3 verification mismatch).
    """

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except NetcalcError as error:
            for line in str(error).splitlines():
                typer.echo(f"error: {line}", err=True)
            raise typer.Exit(error.exit_code) from None


app = typer.Typer(
    name="netcalc",
    cls=Boundary,
    help="A calculator for neural-network designs: shapes, parameters, neurons, MACs and memory "
    "of every layer of a YAML spec.\n\n" + EXAMPLES,
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"netcalc {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="print the version and exit"),
    ] = False,
) -> None:
    """netcalc: count what a network design costs before you build it."""


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


SPEC_HELP = "spec files (YAML or JSON), zoo:NAME, or - for stdin"
SpecsArg = Annotated[list[str], typer.Argument(help=SPEC_HELP, show_default=False)]
SpecArg = Annotated[str, typer.Argument(help="a spec file (YAML or JSON), zoo:NAME, or - for stdin")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="output format")]
BatchOpt = Annotated[int, typer.Option("--batch", "-b", min=1, help="batch size for MACs and memory")]
DepthOpt = Annotated[
    int | None, typer.Option("--depth", "-d", min=0, help="collapse block groups nested deeper than this")
]


def fancy() -> bool:
    """Colour tables on a terminal; plain text in pipes and under NO_COLOR."""
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def console() -> Any:
    """A rich Console: colour on a terminal, plain wide text in a pipe or under NO_COLOR."""
    from rich.console import Console

    if fancy():
        return Console()
    if sys.stdout.isatty():  # NO_COLOR: no colour, bold or italic escapes at all, terminal width
        return Console(no_color=True, color_system=None)
    return Console(width=200, no_color=True, color_system=None)


def emit(command: str, fmt: Format, data: Any, **options: Any) -> None:
    """Render `data` as `command` does in `fmt` and write it to stdout."""
    from netcalc.render import Options, render

    out = render(command, fmt.value, data, Options(fancy=fancy(), **options))
    for part in out if isinstance(out, list) else [out]:
        if isinstance(part, str):
            typer.echo(part, nl=False)
        else:
            console().print(part)


def load_all(sources: list[str]) -> list[Network | NetcalcError]:
    """Each spec loaded, or the error that stopped it; '-' reads stdin (once)."""
    if sources.count("-") > 1:
        raise UsageError("'-' (stdin) can be given once")
    loaded: list[Network | NetcalcError] = []
    for source in sources:
        try:
            loaded.append(load_spec(source))
        except NetcalcError as error:
            loaded.append(error)
    return loaded


def load_spec(source: str) -> Network:
    """The network at a path or zoo:NAME, or piped in when the source is '-'."""
    import netcalc

    if source != "-":
        return netcalc.load(source)
    from netcalc.loading import load_text
    from netcalc.spec.read import read_stdin

    return load_text(read_stdin(), "<stdin>")  # `cat my.yaml | netcalc count -`, bounded


def only_networks(loaded: list[Network | NetcalcError]) -> list[Network]:
    """The networks, or the first error when any spec failed."""
    for item in loaded:
        if isinstance(item, NetcalcError):
            raise item
    return [item for item in loaded if not isinstance(item, NetcalcError)]


def combined(errors: list[NetcalcError]) -> NetcalcError:
    """Several errors as one, of the first one's class, one message line each."""
    return type(errors[0])("\n".join(str(e) for e in errors))
