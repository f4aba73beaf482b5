"""A sweep as a table, CSV, Markdown or JSON: one row per point, the swept arguments then the totals."""

from __future__ import annotations

import io
from typing import Any

from netcalc.explore.sweep import METRICS, Sweep
from netcalc.render.jsontext import dumps
from netcalc.render.text import CsvWriter, shape_text


def header(sweep: Sweep) -> list[str]:
    """Column titles: the spec, each argument, the input shape, each metric."""
    return ["Spec", *sweep.names, *_input(sweep, ["Input"]), *(METRICS[m].label for m in sweep.metrics)]


def _input(sweep: Sweep, column: list[str]) -> list[str]:
    return [] if "input" in sweep.names else column  # a swept input is already a column


def cells(sweep: Sweep, exact: bool = False) -> list[list[str]]:
    """One row of text cells per point; figures with thousands separators unless exact; a point
    that failed has 'error' (its message goes to stderr), or nothing in exact (CSV) cells."""
    missing = "" if exact else "error"
    return [
        [
            p.spec,
            *(str(p.args[n]) for n in sweep.names),
            *_input(sweep, [shape_text(p.input_shape)]),
            *(_figure(p.values.get(m), exact, missing) for m in sweep.metrics),
        ]
        for p in sweep.points
    ]


def _figure(value: int | None, exact: bool, missing: str) -> str:
    if value is None:
        return missing
    return str(value) if exact else f"{value:,}"


def sweep_table(sweep: Sweep) -> Any:
    """A rich Table of the sweep (plain text in a pipe, through the console)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, title="netcalc sweep", title_justify="left")
    for i, title in enumerate(header(sweep)):
        table.add_column(Text(title), justify="left" if i == 0 else "right", no_wrap=True)
    for row in cells(sweep):
        table.add_row(*map(Text, row))
    return table


def sweep_csv(sweep: Sweep) -> str:
    """Exact figures, one line per point, metric keys as column names."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(["spec", *sweep.names, *_input(sweep, ["input_shape"]), *sweep.metrics])
    writer.writerows(cells(sweep, exact=True))
    return buffer.getvalue()


def sweep_markdown(sweep: Sweep) -> str:
    """The sweep as a Markdown table."""
    titles = header(sweep)
    lines = ["| " + " | ".join(titles) + " |", "|---" + "|---:" * (len(titles) - 1) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in cells(sweep)]
    return "\n".join(lines) + "\n"


def sweep_json(sweep: Sweep) -> str:
    """The sweep's JSON form."""
    return dumps(sweep.to_dict()) + "\n"
