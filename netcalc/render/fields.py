"""`netcalc rf`: each layer's receptive field along each input axis, as a table, markdown, CSV, JSON."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence

from netcalc.analysis.receptive_field import LayerField, ReceptiveField
from netcalc.render.report import visible
from netcalc.render.text import CsvWriter, inputs_text, shape_text, width
from netcalc.report import GroupRow, Report

CONVENTION = (
    "r / S / P: size, effective stride, effective padding (Araujo et al., Distill 2019): "
    "output i sees input [-P + i*S, -P + i*S + r - 1]"
)


def _fields(report: Report) -> ReceptiveField:
    assert report.receptive_field is not None, "rf of a report built without its receptive field"
    return report.receptive_field


def _lines(report: Report, depth: int | None) -> list[tuple[str, str, str, str, LayerField]]:
    """(index, name, type, shape, field) per visible line; a block shows its last layer's field."""
    layers = _fields(report).layers
    out = []
    for line in visible(report, depth):
        if isinstance(line, GroupRow):
            kind = f"[{line.block} x{line.repeat}]" if line.repeat else f"[{line.block}]"
            first = f"{line.first}-{line.last}" if line.last > line.first else str(line.first)
            field = layers[line.last]
            out.append((first, "  " * line.depth + line.name, kind, shape_text(line.output_shape), field))
        else:
            field = layers[line.index]
            out.append(
                (
                    str(line.index),
                    "  " * line.depth + line.name,
                    line.kind,
                    shape_text(line.output_shape),
                    field,
                )
            )
    return out


def _columns(fields: ReceptiveField) -> tuple[str, ...]:
    return ("#", "Layer", "Type", "Output shape", *(f"{a}: r / S / P" for a in fields.axes))


def _notes(report: Report) -> list[str]:
    fields = _fields(report)
    if not fields.axes:
        return ["no spatial axes: the input is a vector, every layer sees all of it"]
    notes = [CONVENTION]
    if any(a.sizes and a.sizes[0] != a.sizes[1] for f in fields.layers for a in f.axes):
        notes.append("r as smallest-largest: the field depends on the position; P = -(start of output 0)")
    if any(a.status == "n/a" for f in fields.layers for a in f.axes):
        notes.append("n/a: the axis is merged into others (flatten, reshape): no per-axis field")
    return notes + [f"warning: {w}" for w in fields.warnings]


def rf_table(reports: Sequence[Report], depth: int | None) -> str:
    """Plain aligned tables, one per report."""
    return "\n".join(_table(r, depth) for r in reports)


def _table(report: Report, depth: int | None) -> str:
    header = _columns(_fields(report))
    body = [(*cells, *(a.text() for a in field.axes)) for *cells, field in _lines(report, depth)]
    widths = [max(width(row[i]) for row in (header, *body)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = [
            " " * (w - width(c)) + c if i == 0 or i >= 4 else c + " " * (w - width(c))
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(padded).rstrip()

    rule = "-" * len(line(["-" * w for w in widths]))
    title = f"{report.name}: receptive fields, input {inputs_text(report)}"
    return "\n".join([title, "", line(header), rule, *map(line, body), rule, *_notes(report)]) + "\n"


def rf_markdown(reports: Sequence[Report], depth: int | None) -> str:
    """GitHub-flavoured markdown tables."""
    out = []
    for report in reports:
        header = _columns(_fields(report))
        out += [
            f"### {report.name}",
            "",
            "| " + " | ".join(header) + " |",
            "|" + "|".join("---" for _ in header) + "|",
        ]
        for *cells, field in _lines(report, depth):
            cells[1] = cells[1].replace("  ", "&nbsp;&nbsp;")
            out.append("| " + " | ".join([*cells, *(a.text() for a in field.axes)]) + " |")
        out += ["", *(f"- {n}" for n in _notes(report)), ""]
    return "\n".join(out)


def rf_csv(reports: Sequence[Report]) -> str:
    """One line per layer and axis, every figure exact."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(
        ["spec", "index", "name", "type", "axis", "status", "size_min", "size_max", "stride", "padding"]
    )
    for report in reports:
        for field in _fields(report).layers:
            for a in field.axes:
                data = a.to_dict()
                writer.writerow(
                    [report.name, field.index, field.name, field.kind, a.axis, a.status]
                    + [data.get(k, "") for k in ("size_min", "size_max", "stride", "padding")]
                )
    return buffer.getvalue()


def rf_json(reports: Sequence[Report], many: bool) -> str:
    """{name, input_shape, axes, layers, warnings} per report; a list when several were asked."""
    data = [{"name": r.name, "input_shape": list(r.input_shape), **_fields(r).to_dict()} for r in reports]
    return json.dumps(data if many else data[0], indent=2) + "\n"
