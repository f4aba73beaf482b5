"""`check`: hold a design to its budget, for CI (exit 0 within budget, 4 over it)."""

from __future__ import annotations

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
    raise_all,
)
from netcalc.cli.count import Optimizer, OptimizerOpt, Precision, PrecisionOpt
from netcalc.errors import BudgetError
from netcalc.render import check_format


def _limit(help: str) -> object:
    return typer.Option(help=help, show_default=False)


@app.command()
def check(
    specs: SpecsArg,
    max_params: Annotated[str | None, _limit("most parameters, frozen included: 5M, 250k, 5000000")] = None,
    max_macs: Annotated[str | None, _limit("most MACs at --batch: 1G, 600M")] = None,
    max_memory: Annotated[
        str | None, _limit("most inference peak memory (weights + live activations) at --batch: 2GiB")
    ] = None,
    max_train_memory: Annotated[
        str | None, _limit("most training memory at --batch, --optimizer, --precision: 16GiB")
    ] = None,
    min_rf: Annotated[
        str | None, _limit("least receptive field (input positions) of the deepest local layer: 200")
    ] = None,
    batch: BatchOpt = 1,
    optimizer: OptimizerOpt = Optimizer.adam,
    precision: PrecisionOpt = Precision.fp32,
    format: FormatOpt = Format.table,
    set: SetOpt = None,
    input: InputOpt = None,
) -> None:
    """Check each spec against limits: its budget: section, and these options (which override it).

    Exit code 0 when every limit holds, 4 when one is exceeded (1 and 2 keep their meanings).
    Counts take k, M, G, T (powers of 1000); memory K, M, G, T with or without B or iB (powers of
    1024).

    \b
    Example: netcalc check zoo:resnet18 --max-params 12M --max-macs 2G --max-memory 200MiB
    Example: netcalc check my.yaml --max-train-memory 16GiB --batch 64 --optimizer adamw --format json
    """
    import netcalc

    check_format("check", format.value)
    options: dict[str, int | str] = {
        name: value
        for name, value in (
            ("max_params", max_params),
            ("max_macs", max_macs),
            ("max_memory", max_memory),
            ("max_train_memory", max_train_memory),
            ("min_rf", min_rf),
        )
        if value is not None
    }
    results, failures = each(
        load_all(specs, set, input),
        lambda network: netcalc.check_budget(network, options, batch, optimizer.value, precision.value),
    )
    if results:
        emit("check", format, results, many=len(specs) > 1)
    over = [
        f"{c.name}: {x.what} {x.figure:,} {'over' if x.bound == 'max' else 'under'} {x.limit:,}"
        for c in results
        for x in c.over()
    ]
    raise_all([*failures, *([BudgetError("over budget: " + "; ".join(over))] if over else [])])
