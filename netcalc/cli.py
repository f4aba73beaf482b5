"""The `netcalc` command line: the one place that turns NetcalcError into an exit code."""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from typing import Annotated

import typer

from netcalc import __version__
from netcalc.errors import NetcalcError

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

app = typer.Typer(
    name="netcalc",
    help="A calculator for neural-network designs: shapes, parameters, neurons, MACs and memory "
    "of every layer of a YAML spec.\n\n" + EXAMPLES,
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


class Format(StrEnum):
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
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version and exit")
    ] = False,
) -> None:
    """netcalc: count what a network design costs before you build it."""


def fancy() -> bool:
    """Colour tables on a terminal; plain text in pipes and under NO_COLOR."""
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def console():
    """A rich Console: colour on a terminal, plain wide text in a pipe or under NO_COLOR."""
    from rich.console import Console

    if fancy():
        return Console()
    if sys.stdout.isatty():  # NO_COLOR: no colour, bold or italic escapes at all, terminal width
        return Console(no_color=True, color_system=None)
    return Console(width=200, no_color=True, color_system=None)


def fail(error: NetcalcError) -> typer.Exit:
    """Print the error's lines on stderr and return the exit to raise."""
    for line in str(error).splitlines():
        typer.echo(f"error: {line}", err=True)
    return typer.Exit(error.exit_code)


def analyze_all(paths: list[str], batch: int):
    """Load and analyze each spec, in order."""
    import netcalc

    return [netcalc.analyze(load_path(p), batch=batch) for p in paths]


def load_path(path: str):
    """The spec at a path or zoo:NAME, or piped in when the path is '-'."""
    import netcalc

    if path != "-":
        return netcalc.load(path)
    text = sys.stdin.read()  # `cat my.yaml | netcalc count -`
    return netcalc.load(text if "\n" in text else text + "\n")  # text, not a path


@app.command()
def count(
    specs: SpecsArg,
    format: FormatOpt = Format.table,
    depth: Annotated[
        int | None, typer.Option("--depth", "-d", min=0, help="collapse block groups nested deeper than this")
    ] = None,
    batch: BatchOpt = 1,
    verify: Annotated[
        bool,
        typer.Option("--verify", help="also execute the spec with the NumPy backend and check every count"),
    ] = False,
) -> None:
    """Shapes, parameters, neurons, MACs and memory of every layer of each spec.

    Example: netcalc count specs/dense-vs-conv/conv.yaml --format json
    """
    import netcalc
    from netcalc import render

    reports, failures = [], []
    for path in specs:  # a wrong spec among several does not hide the others' reports
        try:
            reports.append(netcalc.analyze(load_path(path), batch=batch))
        except NetcalcError as error:
            failures.append(error)
    if not reports:
        pass
    elif format is Format.json:
        typer.echo(render.json_text(reports, as_list=len(specs) > 1), nl=False)
    elif format is Format.csv:
        typer.echo(
            "".join(
                render.csv_text(r) if i == 0 else render.csv_text(r).split("\n", 1)[1]
                for i, r in enumerate(reports)
            ),
            nl=False,
        )
    elif format is Format.markdown:
        typer.echo("\n".join(render.markdown(r, depth) for r in reports), nl=False)
    elif fancy():
        out = console()
        for report in reports:
            out.print(render.rich_table(report, depth))
    else:
        typer.echo("\n".join(render.plain_table(r, depth) for r in reports), nl=False)
    if failures:
        for error in failures[:-1]:
            fail(error)
        raise fail(failures[-1])
    if verify:
        _verify(specs, max(batch, 2), as_json=False)


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
    except NetcalcError as error:  # no spec involved: a wrong command line, so exit code 2
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    if format is Format.json:
        typer.echo(json.dumps(entries, indent=2))
        return
    from netcalc.catalog import catalog_csv, catalog_text

    if format is Format.csv:
        typer.echo(catalog_csv(entries), nl=False)
        return

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
    if format in (Format.csv, Format.markdown):
        typer.echo(render.zoo_text(reports, names(), markdown=format is Format.markdown), nl=False)
        return
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, title="netcalc zoo", title_justify="left")
    for name in ("Spec", "Input", "Output", "Params", "Keras total", "MACs", "Description"):
        numeric = name in ("Params", "Keras total", "MACs")
        table.add_column(name, justify="right" if numeric else "left", no_wrap=numeric)
    for name, r in zip(names(), reports, strict=True):
        cells = (
            f"zoo:{name}",
            render.shape_text(r.input_shape),
            render.shape_text(r.output_shape),
            f"{r.params:,}",
            f"{r.params_with_state:,}",
            f"{r.totals.macs:,}",
            r.description or "",
        )
        table.add_row(*map(Text, cells))
    console().print(table)


def parse_bytes(text: str) -> int:
    """'2G', '512M', '1.5GiB' or a plain number of bytes."""
    units = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    clean = text.strip().upper().removesuffix("IB").removesuffix("B")
    number, unit = (clean[:-1], clean[-1]) if clean[-1:] in "KMGT" else (clean, "")
    try:
        value = float(number) * units[unit]
    except ValueError:
        raise typer.BadParameter(f"'{text}' is not a size like 2G, 512M or 1000000") from None
    if value <= 0:
        raise typer.BadParameter("the limit must be positive")
    return int(value)


MemoryOpt = Annotated[
    str, typer.Option("--max-memory", help="stop before running if the estimated peak memory exceeds this")
]
SeedOpt = Annotated[int, typer.Option("--seed", min=0, help="seed of the weight and input generator")]


class Dtype(StrEnum):
    float32 = "float32"
    float64 = "float64"


DtypeOpt = Annotated[Dtype, typer.Option("--dtype", help="array element type of the run")]


class ProgressBar:
    """A rich progress bar on stderr, shown only on a terminal once a run takes over 0.3 s."""

    def __init__(self, label: str):
        import time

        self.label, self.start, self.bar, self.task = label, time.perf_counter(), None, None
        self.clock = time.perf_counter

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if not sys.stderr.isatty() or self.clock() - self.start < 0.3 or done == total:
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
    spec: Annotated[str, typer.Argument(help="spec file or zoo:NAME")],
    batch: BatchOpt = 1,
    seed: SeedOpt = 0,
    input: Annotated[str | None, typer.Option("--input", help="input array (.npy)")] = None,
    weights: Annotated[str | None, typer.Option("--weights", help="weights (.npz) to use")] = None,
    save_weights: Annotated[
        str | None, typer.Option("--save-weights", help="save the weights used to this .npz")
    ] = None,
    output: Annotated[str | None, typer.Option("--output", help="save the output (.npy)")] = None,
    dtype: DtypeOpt = Dtype.float32,
    max_memory: MemoryOpt = "2G",
    format: FormatOpt = Format.table,
) -> None:
    """Execute a spec with the NumPy backend and print the output's shape and statistics.

    Example: netcalc run specs/examples/tiny-resnet.yaml --batch 4 --save-weights w.npz
    """
    import netcalc

    try:
        import numpy as np

        from netcalc import backend

        parsed = netcalc.load(spec)
        x = backend.load_array(input) if input else None
        given = backend.load_weights(weights) if weights else None
        result = backend.run(
            parsed,
            x=x,
            weights=given,
            seed=seed,
            batch=batch,
            dtype=dtype,
            max_memory=parse_bytes(max_memory),
            progress=ProgressBar(spec),
        )
        if save_weights:
            backend.save_weights(save_weights, result)
        if output:
            backend.save(output, result.output)
    except NetcalcError as error:
        raise fail(error) from None
    y = result.output
    stats = {
        "spec": parsed.name,
        "output_shape": list(y.shape),
        "dtype": str(y.dtype),
        "mean": float(y.mean()),
        "std": float(y.std()),
        "min": float(y.min()),
        "max": float(y.max()),
        "finite": bool(np.isfinite(y).all()),
    }
    if format is Format.json:
        typer.echo(json.dumps(stats, indent=2))
        return
    typer.echo(
        f"{parsed.name}: output {'x'.join(map(str, y.shape))} {y.dtype}  "
        f"mean {stats['mean']:.6g}  std {stats['std']:.6g}  "
        f"min {stats['min']:.6g}  max {stats['max']:.6g}"
    )
    for path, what in ((save_weights, "weights"), (output, "output")):
        if path:
            typer.echo(f"saved {what} to {path}")


@app.command()
def verify(
    specs: SpecsArg,
    batch: BatchOpt = 2,
    seed: SeedOpt = 0,
    dtype: DtypeOpt = Dtype.float32,
    max_memory: MemoryOpt = "2G",
    format: FormatOpt = Format.table,
) -> None:
    """Execute each spec with real arrays and check every counted figure, layer by layer.

    Compares the output shape, the elements of every weight tensor (weight, bias, running
    statistics), the neurons and the MACs. Exit code 0 when all agree, 3 on any mismatch.

    Example: netcalc verify specs/dense-vs-conv/*.yaml
    """
    _verify(
        specs,
        batch,
        seed=seed,
        dtype=dtype,
        max_memory=parse_bytes(max_memory),
        as_json=format is Format.json,
    )


def _verify(
    specs: list[str],
    batch: int,
    seed: int = 0,
    dtype: str = "float32",
    max_memory: int = 2 * 1024**3,
    as_json: bool = False,
) -> None:
    import netcalc
    from netcalc.verification import verify as check

    results = []
    try:
        for path in specs:
            results.append(
                check(
                    netcalc.load(path),
                    seed=seed,
                    batch=batch,
                    dtype=dtype,
                    max_memory=max_memory,
                    progress=ProgressBar(path),
                )
            )
    except NetcalcError as error:
        raise fail(error) from None
    if as_json:
        data = [r.to_dict() for r in results]
        typer.echo(json.dumps(data[0] if len(data) == 1 else data, indent=2))
    else:
        for result in results:
            _print_verification(result)
    failures = [line for r in results for line in r.failures()]
    for line in failures:
        typer.echo(f"mismatch: {line}", err=True)
    if failures:
        raise typer.Exit(3)


def _print_verification(result) -> None:
    mark = {True: "ok", False: "MISMATCH"}
    name_w = max([len(c.name) for c in result.checks] + [5])
    kind_w = max([len(c.kind) for c in result.checks] + [4])
    shape_w = max([len("x".join(map(str, c.output_shape))) for c in result.checks] + [5])
    lines = [
        f"{result.name}: engine vs NumPy backend ({result.source})",
        f"  {'':<8} {'#':>4}  {'Layer':<{name_w}}  {'Type':<{kind_w}}  {'Shape':<{shape_w}}"
        f"  {'Params':>12}  {'Neurons':>12}  {'MACs':>16}",
    ]
    for c in result.checks:
        shape = "x".join(map(str, c.output_shape))
        lines.append(
            f"  {mark[c.ok]:<8} {c.index:>4}  {c.name:<{name_w}}  {c.kind:<{kind_w}}  "
            f"{shape:<{shape_w}}  {c.params:>12,}  {c.neurons:>12,}  {c.macs:>16,}"
        )
        lines.extend(f"           {m}" for m in c.mismatches)
    agree = sum(c.ok for c in result.checks)
    verdict = "every figure verified" if result.ok else "MISMATCH"
    lines.append(f"  {agree}/{len(result.checks)} layers agree (shapes, tensors, neurons, MACs): {verdict}")
    typer.echo("\n".join(lines))


@app.command()
def export(
    spec: Annotated[str, typer.Argument(help="spec file or zoo:NAME")],
    output: Annotated[str, typer.Option("--output", "-o", help="the .onnx file to write")],
    weights: Annotated[
        str | None,
        typer.Option("--weights", help="weights (.npz, as saved by run --save-weights); default: seeded"),
    ] = None,
    seed: SeedOpt = 0,
    opset: Annotated[int, typer.Option("--opset", help="ONNX opset version, 17 or later")] = 17,
    max_memory: MemoryOpt = "2G",
) -> None:
    """Write the spec as an ONNX model with the backend's weights (for Netron or any ONNX runtime).

    Every layer's output is named after the layer; weights are initializers named
    'layer/tensor'. Needs the onnx extra: pip install netcalc[onnx].

    Example: netcalc export zoo:resnet18 -o resnet18.onnx
    """
    import math

    import netcalc

    try:
        from netcalc.export_onnx import require_onnx, save, to_onnx

        require_onnx()
        from netcalc import backend

        parsed = netcalc.load(spec)
        given = backend.load_weights(weights) if weights else None
        model = to_onnx(
            parsed,
            weights=given,
            seed=seed,
            opset=opset,
            max_memory=parse_bytes(max_memory),
            progress=ProgressBar(spec),
        )
        count = sum(math.prod(t.dims) for t in model.graph.initializer)
        written = save(model, output)
    except NetcalcError as error:
        raise fail(error) from None
    typer.echo(
        f"{parsed.name}: wrote {written} (opset {opset}, {len(model.graph.node):,} nodes, {count:,} weights)"
    )


def main() -> None:
    """Entry point of the console script."""
    try:
        app()
    except ModuleNotFoundError as error:  # e.g. NumPy removed after installing netcalc
        typer.echo(
            f"error: this command needs the '{error.name}' package: pip install {error.name}", err=True
        )
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as error:  # a bug: say so in one line instead of a traceback
        if os.environ.get("NETCALC_DEBUG"):
            raise
        typer.echo(f"netcalc: internal error (please report it): {type(error).__name__}: {error}", err=True)
        sys.exit(70)
