"""One report rendered for people and scripts: a rich or plain table, markdown, CSV and JSON.

rich is imported only when a rich table is drawn.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from netcalc.collector import paused
from netcalc.render.jsontext import parts
from netcalc.render.layerjson import Layer, LayerWriter
from netcalc.render.text import CsvWriter, kind_text, outputs_text, shape_text, title_text, width
from netcalc.report import Counts, GroupRow, Report, Row
from netcalc.units import human

if TYPE_CHECKING:
    from rich.table import Table

    from netcalc.analysis.generation import Generation

COLUMNS = ("#", "Layer", "Type", "Output shape", "Params", "Neurons", "MACs")


def visible(report: Report, depth: int | None) -> list[Row | GroupRow]:
    """The lines of the table: group headers, then rows; groups deeper than `depth` collapse."""
    groups = {g.name: g for g in report.groups}
    lines: list[Row | GroupRow] = []
    opened: set[str] = set()
    for row in report.rows:
        for level, path in enumerate(row.groups):
            if path not in opened:
                opened.add(path)
                lines.append(groups[path])
            if depth is not None and level >= depth:
                break  # collapsed here: neither deeper headers nor the row
        else:
            if depth is None or len(row.groups) <= depth:
                lines.append(row)
    return lines


def _cells(line: Row | GroupRow) -> tuple[str, ...]:
    c = line.counts
    figures = (f"{c.params:,}", f"{c.neurons:,}", f"{c.macs:,}")
    if isinstance(line, GroupRow):
        kind = f"[{line.block} x{line.repeat}]" if line.repeat else f"[{line.block}]"
        kind += " (training)" if line.training_only else ""
        first = f"{line.first}-{line.last}" if line.last > line.first else str(line.first)
        return (first, "  " * line.depth + line.name, kind, shape_text(line.output_shape), *figures)
    kind = kind_text(line)
    return (str(line.index), "  " * line.depth + line.name, kind, shape_text(line.output_shape), *figures)


def summary_lines(report: Report, depth: int | None = None) -> list[str]:
    """The totals under a table, as torchinfo and Keras print them (names collapsed to `depth`)."""
    t, m = report.totals, report.memory
    batch = f" (batch {report.batch})" if report.batch > 1 else ""
    lines = [
        _params_line(t),
        f"Neurons: {t.neurons:,}   MACs{batch}: {t.macs * report.batch:,} ({human(t.macs * report.batch)})",
        f"Memory ({report.dtype}{', batch ' + str(report.batch) if report.batch > 1 else ''}): "
        f"input {human(m.input, 'B')}, "
        f"params {human(m.params, 'B')}, activations {human(m.activations, 'B')}, "
        f"total {human(m.total, 'B')}",
    ]
    if report.peak_layer is not None:
        peak = report.rows[report.peak_layer]
        peak_layer = peak.groups[depth] if depth is not None and len(peak.groups) > depth else peak.name
        lines.append(
            f"Peak memory: {human(report.peak_bytes, 'B')} (params + the activations alive at once; "
            f"highest at {peak_layer})"
        )
    g = report.generation
    if g is not None:
        lines.append(
            f"Per generated token: {g.macs_per_token:,} MACs ({human(g.macs_per_token)}) at context "
            f"{g.context:,} {_carried(report, g)} (the last position of {g.input}; layers not fed by "
            "it run once)"
        )
    training = [r for r in report.rows if r.training_only]
    if training:
        macs = sum(r.counts.macs for r in training)
        layers = "1 layer" if len(training) == 1 else f"{len(training)} layers"
        lines.append(
            f"Training only: {layers}, {macs:,} MACs ({human(macs)}) — "
            "their parameters are in the totals, their MACs and activations are not"
        )
    if report.declared_outputs:
        lines.append(f"Outputs: {outputs_text(report)}")
    return lines + [f"warning: {w}" for w in report.warnings]


def _params_line(t: Counts) -> str:
    """The parameters: trainable and non-trainable apart, as Keras shows them."""
    if not t.frozen:
        return (
            f"Params: {t.params:,} trainable, {t.state:,} non-trainable state "
            f"(Keras total: {t.params + t.state:,})"
        )
    return (
        f"Params: {t.params:,} ({t.trainable:,} trainable, {t.frozen:,} frozen), "
        f"{t.state:,} non-trainable state (Keras: {t.trainable:,} trainable, "
        f"{t.non_trainable:,} non-trainable, total {t.params + t.state:,})"
    )


def rich_table(report: Report, depth: int | None = None) -> Table:
    """A rich Table of the report (imports rich)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    title = title_text(report)
    table = Table(
        title=Text(title),
        box=box.SIMPLE_HEAD,
        caption=Text("\n".join(summary_lines(report, depth))),
        caption_justify="left",
        title_justify="left",
    )
    for name in COLUMNS:
        numeric = name in ("Params", "Neurons", "MACs", "#")
        # a narrow terminal wraps the names and shapes, never the numbers
        table.add_column(
            name,
            justify="right" if numeric else "left",
            no_wrap=numeric,
            overflow="ellipsis" if numeric else "fold",
        )
    for line in visible(report, depth):
        style = "bold cyan" if isinstance(line, GroupRow) else None
        table.add_row(*map(Text, _cells(line)), style=style)  # Text: '[block]' is not markup
    table.add_section()
    table.add_row(*_total_cells(report), style="bold")
    return table


def _total_cells(report: Report) -> tuple[str, ...]:
    t = report.totals
    figures = (f"{t.params:,}", f"{t.neurons:,}", f"{t.macs:,}")
    return ("", "total", "", shape_text(report.output_shape), *figures)


def plain_table(report: Report, depth: int | None = None) -> str:
    """The table as aligned plain text: for pipes, files and NO_COLOR (fast at any size)."""
    body = [_cells(line) for line in visible(report, depth)]
    total = _total_cells(report)
    widths = [max(width(row[i]) for row in (COLUMNS, *body, total)) for i in range(len(COLUMNS))]
    right = {0, 4, 5, 6}

    def line(cells: Sequence[str]) -> str:
        padded = [
            " " * (w - width(c)) + c if i in right else c + " " * (w - width(c))
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(padded).rstrip()

    rule = "-" * len(line(["-" * w for w in widths]))
    title = title_text(report)
    out = [title, "", line(COLUMNS), rule, *map(line, body), rule, line(total), ""]
    return "\n".join([*out, *summary_lines(report, depth)]) + "\n"


def markdown(report: Report, depth: int | None = None) -> str:
    """A GitHub-flavoured markdown table with the totals under it."""
    out = [
        f"### {report.name}",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---:" if c in ("#", "Params", "Neurons", "MACs") else "---" for c in COLUMNS) + "|",
    ]
    for line in visible(report, depth):
        cells = list(_cells(line))
        cells[1] = cells[1].replace("  ", "&nbsp;&nbsp;")
        if isinstance(line, GroupRow):
            cells[1] = f"**{cells[1]}**"
        out.append("| " + " | ".join(cells) + " |")
    t = report.totals
    out.append(
        f"| | **total** | | {shape_text(report.output_shape)} | **{t.params:,}** | "
        f"**{t.neurons:,}** | **{t.macs:,}** |"
    )
    return "\n".join([*out, "", *(f"- {s}" for s in summary_lines(report, depth))]) + "\n"


def csv_text(report: Report) -> str:
    """One CSV line per layer, every figure exact and per sample (like the JSON layers)."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(
        [
            "spec",
            "index",
            "name",
            "type",
            "depth",
            "inputs",
            "output_shape",
            "params",
            "non_trainable_params",
            "neurons",
            "macs",
            "activations",
        ]
    )
    for r in report.rows:
        c = r.counts
        writer.writerow(
            [
                report.name,
                r.index,
                r.name,
                r.kind,
                r.depth,
                " ".join(r.inputs),
                shape_text(r.output_shape),
                c.params,
                c.non_trainable,
                c.neurons,
                c.macs,
                c.activations,
            ]
        )
    return buffer.getvalue()


def json_text(reports: list[Report], as_list: bool | None = None) -> str:
    """One report as a JSON object; several (or as_list) as a JSON list of them."""
    return "".join(json_parts(reports, as_list))


def json_parts(reports: list[Report], as_list: bool | None = None) -> Iterator[str]:
    """The text of json_text in pieces, a row at a time: a large report is never held as text."""
    data = (_json_data(r) for r in reports)
    as_list = len(reports) != 1 if as_list is None else as_list
    with paused():
        writer = LayerWriter()
        yield from parts(data if as_list else next(data), {Layer: writer.text, GroupRow: writer.group})
    yield "\n"


def _json_data(report: Report) -> dict[str, Any]:
    """Report.to_dict, its layers and groups made one by one as they are written, each straight from
    its row."""
    data = report.to_dict(lazy_rows=True)
    data["layers"] = (Layer(r, f) for r, f in report.layers())
    data["groups"] = (g for g in report.groups)
    return data


def _carried(report: Report, g: Generation) -> str:
    """What a generated token reuses of the earlier positions: attention's keys and values, or only a
    recurrent layer's state."""
    kinds = {report.rows[index].kind for index, _ in g.layers}
    return "with a KV cache" if "attention" in kinds else "with the recurrent state carried over"
