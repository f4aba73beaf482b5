"""Several reports side by side: totals and ratios to the first, as a table, markdown, CSV, JSON."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from netcalc.render.text import CsvWriter, inputs_text, outputs_text
from netcalc.report import TOTALS, Report

if TYPE_CHECKING:
    from rich.table import Table

METRICS = TOTALS  # the headline totals, defined with the Report


def ratio_text(value: int, first: int) -> str:
    """value / first, written so that small ratios stay readable: '0.000565 (1/1,771)'."""
    if first == 0:
        return "-" if value == 0 else "n/a (first is 0)"
    ratio = value / first
    if ratio == 0 or ratio >= 0.5:
        return f"{ratio:,.3g}x" if ratio < 1000 else f"{ratio:,.0f}x"
    return f"{ratio:.3g}x (1/{first / value:,.0f})"


def compare_data(reports: list[Report]) -> dict[str, Any]:
    """Totals of each spec side by side, with ratios to the first."""
    first = reports[0]
    return {
        "netcalc_json": 1,
        "specs": [
            {
                "name": r.name,
                "source": r.source,
                "input_shape": list(r.input_shape),
                "output_shape": list(r.output_shape),
                **{key: get(r) for key, _, get in METRICS},
            }
            for r in reports
        ],
        "ratios_to_first": [
            {key: (get(r) / get(first) if get(first) else None) for key, _, get in METRICS} for r in reports
        ],
    }


def compare_rows(reports: list[Report]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the comparison, as text cells."""
    header = ["Metric"]
    for i, r in enumerate(reports):
        header.append(r.name)
        if i:
            header.append(f"{r.name} / {reports[0].name}")
    rows = [
        ["Input", *_spread([inputs_text(r) for r in reports])],
        ["Output", *_spread([outputs_text(r) for r in reports])],
    ]
    for _, label, get in METRICS:
        cells = [f"{get(reports[0]):,}"]
        for r in reports[1:]:
            cells += [f"{get(r):,}", ratio_text(get(r), get(reports[0]))]
        rows.append([label, *cells])
    return header, rows


def _spread(values: list[str]) -> list[str]:
    return [values[0], *[c for v in values[1:] for c in (v, "")]]


def compare_table(reports: list[Report]) -> Table:
    """A rich Table comparing the totals of several reports."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    header, rows = compare_rows(reports)
    table = Table(box=box.SIMPLE_HEAD, title="netcalc compare", title_justify="left")
    for i, name in enumerate(map(Text, header)):
        value = i == 1 or (i > 1 and i % 2 == 0)  # the others: metric names and ratios, which wrap
        table.add_column(
            name,
            justify="left" if i == 0 else "right",
            no_wrap=value,
            overflow="ellipsis" if value else "fold",
        )
    for row in rows:
        table.add_row(*map(Text, row))
    return table


def compare_markdown(reports: list[Report]) -> str:
    """The comparison as a markdown table."""
    header, rows = compare_rows(reports)
    lines = ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def compare_csv(reports: list[Report]) -> str:
    """The comparison as CSV with exact figures."""
    header, rows = compare_rows(reports)
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell.replace(",", "") if i else cell for i, cell in enumerate(row)])
    return buffer.getvalue()
