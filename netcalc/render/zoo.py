"""The zoo listing: every shipped spec with its totals."""

from __future__ import annotations

import io
from typing import Any

from netcalc.render.text import CsvWriter, inputs_text, shape_text
from netcalc.report import Report


def zoo_text(reports: list[Report], names: list[str], markdown: bool = False) -> str:
    """The zoo listing as CSV (exact figures) or a markdown table."""
    header = ["spec", "input", "output", "params", "params_with_state", "macs", "description"]
    rows = [
        [
            f"zoo:{n}",
            inputs_text(r),
            _outputs(r),
            r.params,
            r.params_with_state,
            r.totals.macs,
            r.description or "",
        ]
        for n, r in zip(names, reports, strict=True)
    ]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|---|---|---|---:|---:|---:|---|"]
        lines += [
            "| " + " | ".join(f"{c:,}" if isinstance(c, int) else str(c) for c in row) + " |" for row in rows
        ]
        return "\n".join(lines) + "\n"
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerows([header, *rows])
    return buffer.getvalue()


def zoo_table(reports: list[Report], names: list[str]) -> Any:
    """The zoo as a rich Table."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, title="netcalc zoo", title_justify="left")
    for name in ("Spec", "Input", "Output", "Params", "Keras total", "MACs", "Description"):
        numeric = name in ("Params", "Keras total", "MACs")
        table.add_column(name, justify="right" if numeric else "left", no_wrap=numeric)
    for name, r in zip(names, reports, strict=True):
        cells = (
            f"zoo:{name}",
            inputs_text(r),
            _outputs(r),
            f"{r.params:,}",
            f"{r.params_with_state:,}",
            f"{r.totals.macs:,}",
            r.description or "",
        )
        table.add_row(*map(Text, cells))
    return table


def _outputs(report: Report) -> str:
    """The output's shape, or each declared output's, without their (long) layer names: '128x768, 768'."""
    if not report.declared_outputs:
        return shape_text(report.output_shape)
    return ", ".join(shape_text(shape) for _, shape in report.outputs)
