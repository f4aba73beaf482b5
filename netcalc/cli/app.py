"""The typer app, its error boundary, and what every command shares: options, inputs, output."""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from typer.core import TyperGroup
from typer.main import get_command_name
from typer.models import CommandInfo

from netcalc import __version__
from netcalc.errors import NetcalcError, UsageError

try:  # typer 0.22 and later carry their own click
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - older typer runs on click itself
    from click import exceptions as click_errors  # type: ignore[no-redef,import-not-found,unused-ignore]

CommandLineError = click_errors.UsageError
HELP_INSTEAD = getattr(click_errors, "NoArgsIsHelpError", ())  # `netcalc` alone: the help, as it is

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
  netcalc sweep specs/dense-vs-conv/dense.yaml specs/dense-vs-conv/conv.yaml --set size=32..1024*2
  netcalc diff zoo:resnet18 zoo:resnet50 --format markdown
  netcalc diagram zoo:unet --depth 1 -o unet.svg
  netcalc report zoo:resnet50 -o resnet50.html
  netcalc layers conv2d
"""


T = TypeVar("T")
RUNNING: ContextVar[str] = ContextVar("RUNNING", default="count")  # the command being run


BROKEN_PIPE = 141  # 128 + SIGPIPE: the status git, seq and cat have when their reader goes away


def _silence_stdout() -> None:
    """Point stdout at /dev/null: what is still buffered for the closed pipe is dropped quietly
    instead of failing again when Python flushes it at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (a test's captured stream)
        pass


class Boundary(TyperGroup):
    """The one place where a NetcalcError becomes 'error: ...' lines on stderr and an exit code.

    It wraps every command, so the console script and typer's CliRunner behave alike; the exit
    code is the error class's (1 spec or shape, 2 usage, 3 verification mismatch, 4 over budget,
    5 changed); click's own usage errors (an unknown option, a value out of range) become one such
    line too, exit 2; a closed output pipe ends the command quietly with 141.
    """

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        RUNNING.set(cmd_name)  # the command about to run, for hints that show it
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: Any) -> Any:
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a closed pipe shows here, not at the interpreter's exit
            return result
        except BrokenPipeError:  # `netcalc count ... | head -1`: the reader has all it wants
            _silence_stdout()
            raise typer.Exit(BROKEN_PIPE) from None
        except NetcalcError as error:
            for line in str(error).splitlines():
                typer.echo(f"error: {line}", err=True)
            raise typer.Exit(error.exit_code) from None
        except CommandLineError as error:  # click's: an unknown option or command, a wrong value
            _command_line_error(error, f"{ctx.command_path} {RUNNING.get()}")

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        try:  # the options before the command (`netcalc --bogus`) are parsed here
            return super().make_context(info_name, args, parent=parent, **extra)
        except CommandLineError as error:
            _command_line_error(error, info_name or "netcalc")


def _command_line_error(error: CommandLineError, command: str) -> NoReturn:
    """One 'error: ...' line for a usage error click found, with where to read the usage; exit 2."""
    if isinstance(error, HELP_INSTEAD):
        raise error
    where = error.ctx.command_path if error.ctx is not None else command
    message = " ".join(error.format_message().split()).rstrip(".")
    typer.echo(f"error: {message} — see '{where} --help'", err=True)
    raise typer.Exit(2) from None


class App(typer.Typer):
    """The console script's app: it builds the click command of the command it runs only.

    typer turns every registered command into a click command before it parses the command line
    (about 15 ms for all of them); `netcalc count ...` runs one. Help, completion and an unknown
    name get every command. typer's CliRunner builds the whole app, as before.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        given = kwargs.get("args", args[0] if args else None)  # click's main(args=None, ...)
        words = sys.argv[1:] if given is None else list(given)
        return typer.Typer.__call__(self.for_command(words[:1]), *args, **kwargs)

    def for_command(self, args: list[str]) -> typer.Typer:
        """This app, with only the command named first on the command line when one is."""
        if not args or any(name.endswith("_COMPLETE") for name in os.environ):
            return self
        chosen = [c for c in self.registered_commands if command_name(c) == args[0]]
        if not chosen:
            return self
        narrowed = copy.copy(self)  # the same settings and callback; the app keeps every command
        narrowed.registered_commands = chosen
        return narrowed


def command_name(command: CommandInfo) -> str:
    """A registered command's name on the command line, as typer derives it."""
    return command.name or get_command_name(getattr(command.callback, "__name__", ""))


app = App(
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


class Convention(StrEnum):
    netcalc = "netcalc"
    torchinfo = "torchinfo"
    fvcore = "fvcore"
    ptflops = "ptflops"
    thop = "thop"
    keras = "keras"


ConventionOpt = Annotated[
    Convention,
    typer.Option(
        "--convention",
        help="report the totals another tool gives for the same network (its PyTorch module, "
        "as `netcalc torch` writes it): torchinfo, fvcore, ptflops, thop, keras",
    ),
]
SPEC_HELP = "spec files (YAML or JSON), zoo:NAME, or - for stdin"
SpecsArg = Annotated[list[str], typer.Argument(help=SPEC_HELP, show_default=False)]
SpecArg = Annotated[str, typer.Argument(help="a spec file (YAML or JSON), zoo:NAME, or - for stdin")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="output format")]
BatchOpt = Annotated[int, typer.Option("--batch", "-b", min=1, help="batch size for MACs and memory")]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="set a spec argument (its args: section), NAME=VALUE; repeatable: --set size=512 --set width=32",
        show_default=False,
    ),
]
InputOpt = Annotated[
    str | None,
    typer.Option("--input", help="replace the spec's input shape, e.g. 3x512x512", show_default=False),
]
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
    if isinstance(out, Iterator):  # text made as it is written: out in batches, never held whole
        for batch in batched(out):
            typer.echo(batch, nl=False)
        return
    for part in out if isinstance(out, list) else [out]:
        if isinstance(part, str):
            typer.echo(part, nl=False)
        else:
            console().print(part)


def batched(parts: Iterator[str], size: int = 1 << 16) -> Iterator[str]:
    """Text parts joined into pieces of about `size` characters."""
    pending: list[str] = []
    length = 0
    for part in parts:
        pending.append(part)
        length += len(part)
        if length >= size:
            yield "".join(pending)
            pending, length = [], 0
    if pending:
        yield "".join(pending)


def load_all(
    sources: list[str], sets: list[str] | None = None, input: str | None = None
) -> list[Network | NetcalcError]:
    """Each spec loaded, or the error that stopped it; '-' reads stdin (once)."""
    if sources.count("-") > 1:
        raise UsageError("'-' (stdin) can be given once")
    args = parse_sets(sets)
    return [load_one(source, args, input) for source in sources]


def load_one(source: str, args: dict[str, Any], input: str | None = None) -> Network | NetcalcError:
    """The spec loaded, or the error that stopped it."""
    try:
        return load_spec(source, args, input)
    except NetcalcError as error:
        return error


def load_spec(
    source: str,
    sets: list[str] | dict[str, Any] | None = None,
    input: str | None = None,
    piped: str | None = None,
) -> Network:
    """The network at a path or zoo:NAME, or piped in when the source is '-' (its text `piped`
    when it was read already), with --set and --input; a piped spec is named <stdin>."""
    import netcalc

    args = sets if isinstance(sets, dict) else parse_sets(sets)
    if source != "-":
        return netcalc.load(source, args=args, input=input)
    from netcalc.spec.messages import validate_spec
    from netcalc.spec.read import STDIN
    from netcalc.spec.yamlio import parse

    text = read_source(source) if piped is None else piped
    return netcalc.load(validate_spec(parse(text, STDIN), STDIN), args=args, input=input)


def read_source(source: str) -> str:
    """The source itself, or the spec text piped in when the source is '-'."""
    if source != "-":
        return source
    from netcalc.spec.read import read_stdin

    return read_stdin(example=f"cat my.yaml | netcalc {RUNNING.get()} -")  # bounded


def parse_sets(sets: list[str] | None) -> dict[str, Any]:
    """--set NAME=VALUE options as arguments: numbers become numbers, other values stay words."""
    from netcalc.spec.args import parse_value

    return {name: parse_value(value) for name, value in split_sets(sets).items()}


def split_sets(sets: list[str] | None) -> dict[str, str]:
    """--set NAME=VALUE options as {NAME: VALUE} text, each name once."""
    result: dict[str, str] = {}
    for item in sets or []:
        name, equals, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not equals or not name or not value:
            raise UsageError(f"--set {item}: give NAME=VALUE, e.g. --set size=512")
        if name in result:
            raise UsageError(f"--set {name} is given twice")
        result[name] = value
    return result


def only_networks(loaded: Sequence[Network | NetcalcError]) -> list[Network]:
    """The networks, for a command that needs them all (compare, diff), or one error naming every
    spec that failed."""
    failed = [item for item in loaded if isinstance(item, NetcalcError)]
    if failed:
        raise combined(failed)
    return [item for item in loaded if not isinstance(item, NetcalcError)]


def each(
    loaded: Sequence[Network | NetcalcError], work: Callable[[Network], T]
) -> tuple[list[T], list[NetcalcError]]:
    """`work` on each loaded network: (the results, the errors of the specs that failed to load
    or whose work failed). A wrong spec among several does not hide the others' results."""
    results: list[T] = []
    failed: list[NetcalcError] = []
    for item in loaded:
        try:
            if isinstance(item, NetcalcError):
                raise item
            results.append(work(item))
        except NetcalcError as error:
            failed.append(error)
    return results, failed


def raise_all(errors: Sequence[NetcalcError]) -> None:
    """Raise the errors as one (after the good specs' output), when there are any."""
    if errors:
        raise combined(errors)


def combined(errors: Sequence[NetcalcError]) -> NetcalcError:
    """Several errors as one, one message line each, of the class with the highest exit code
    (a mismatch or an over-budget figure outranks a bad spec, which outranks none)."""
    worst = max(errors, key=lambda e: e.exit_code)
    return type(worst)("\n".join(str(e) for e in errors))
