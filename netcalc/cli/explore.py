"""`sweep` and `diff`: exploring designs, many reports from loaded networks."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from netcalc.cli.app import (
    BatchOpt,
    Format,
    FormatOpt,
    InputOpt,
    SetOpt,
    SpecsArg,
    app,
    each,
    emit,
    load_all,
    load_one,
    parse_sets,
    raise_all,
    split_sets,
)
from netcalc.cli.backend import check_outputs
from netcalc.errors import ChangedError, UsageError
from netcalc.render import check_format

PLOT_METRICS = ("params", "macs")  # the plot's panels when --metrics is not given: among the defaults


@app.command()
def sweep(
    specs: SpecsArg,
    set: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="an argument and its values: a list 32,64,128, a geometric range 16..128*2 or an "
            "arithmetic one 0..64+16; repeat for a grid; input=3x224x224,3x320x320 sweeps the input shape",
            show_default=False,
        ),
    ] = None,
    metrics: Annotated[
        str | None,
        typer.Option(
            "--metrics",
            "-m",
            help="comma-separated totals to show: params, non_trainable_params, neurons, macs, flops, "
            "activations, memory, peak_memory, weights_memory, activation_memory, layers "
            "[default: params,neurons,macs,activations,memory; the plot: params,macs]",
            show_default=False,
        ),
    ] = None,
    plot: Annotated[
        str | None,
        typer.Option("--plot", help="also draw the sweep to FILE.png or FILE.svg (needs netcalc[plot])"),
    ] = None,
    format: FormatOpt = Format.table,
    batch: BatchOpt = 1,
    input: InputOpt = None,
) -> None:
    """Totals of each spec at every combination of argument values: one row per point.

    The specs declare their arguments under args: at the top (args: {size: 256}) and use them as
    $size anywhere; each spec is read once and re-expanded at every point.

    \b
    Examples:
      netcalc sweep dense.yaml conv.yaml --set size=32..1024*2 --plot sweep.png
      netcalc sweep zoo:resnet18 --set input=3x160x160,3x224x224,3x320x320 --metrics params,macs -f csv
    """
    from netcalc.explore.sweep import DEFAULT_METRICS, check_metrics, grid
    from netcalc.explore.sweep import sweep as run_sweep

    check_format("sweep", format.value)
    chosen = check_metrics([m.strip() for m in metrics.split(",")]) if metrics else None
    if plot:
        from netcalc.render.plot import check_plot_path

        check_plot_path(plot)
        check_outputs({"--plot": plot}, specs)
    points = grid(split_sets(set))
    metrics_shown = chosen or DEFAULT_METRICS
    sweeps, failures = each(
        load_all(specs, input=input), lambda n: run_sweep([n], points, metrics_shown, batch, keep_going=True)
    )
    if sweeps:  # one table of every spec that swept
        result = replace(sweeps[0], points=tuple(p for s in sweeps for p in s.points))
        emit("sweep", format, result)
        if plot and all(p.error is not None for p in result.points):
            typer.echo(f"plot: {plot} not written: no point has totals", err=True)
        elif plot:
            from netcalc.render.plot import plot as draw

            written = draw(result, plot, chosen or PLOT_METRICS)  # the defaults include params and macs
            typer.echo(f"plot: {written}", err=True)
    raise_all([*failures, *(e for s in sweeps for e in s.errors)])


@app.command()
def diff(
    a: Annotated[str, typer.Argument(help="the first spec (A): a file, zoo:NAME, or - for stdin")],
    b: Annotated[str, typer.Argument(help="the second spec (B): a file, zoo:NAME, or - for stdin")],
    format: FormatOpt = Format.table,
    batch: BatchOpt = 1,
    set: SetOpt = None,
    set_b: Annotated[
        list[str] | None,
        typer.Option(
            "--set-b", help="set an argument of B only, NAME=VALUE (after --set)", show_default=False
        ),
    ] = None,
    input: InputOpt = None,
    everything: Annotated[bool, typer.Option("--all", help="list unchanged layers too")] = False,
    fail_on_change: Annotated[
        bool, typer.Option("--fail-on-change", help="exit with code 5 when any figure differs (for CI)")
    ] = False,
) -> None:
    """Layer-by-layer differences between two specs, then their totals with deltas and ratios.

    Layers are aligned by name, then by the order of their types; each is added, removed, changed
    (type, output shape, params, MACs or arguments) or unchanged.

    \b
    Examples:
      netcalc diff zoo:resnet18 zoo:resnet50 --format markdown
      netcalc diff net.yaml net.yaml --set-b width=48
      netcalc diff main.yaml branch.yaml --fail-on-change
    """
    from netcalc.explore.diff import diff as compute
    from netcalc.report import analyze

    check_format("diff", format.value)
    if [a, b].count("-") > 1:
        raise UsageError("'-' (stdin) can be given once")
    args = parse_sets(set)
    loaded = [load_one(a, args, input), load_one(b, {**args, **parse_sets(set_b)}, input)]
    reports, failures = each(loaded, lambda network: analyze(network, batch=batch))
    raise_all(failures)  # a diff needs both specs: each wrong one has its line
    first, second = reports
    result = compute(first, second)
    emit("diff", format, result, everything=everything)
    if fail_on_change and result.changed:
        n = result.counts()
        raise ChangedError(
            f"{a} and {b} differ: {n['changed']} changed, {n['added']} added, {n['removed']} removed layers"
        )
