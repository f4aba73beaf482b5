"""Small text helpers shared by every renderer: shapes, human-sized numbers, terminal widths."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import io

    from netcalc.report import Report, Row


def shape_text(shape: tuple[int, ...]) -> str:
    """(64, 256, 256) as '64x256x256'."""
    return "x".join(str(n) for n in shape) if shape else "scalar"


def inputs_text(report: Report) -> str:
    """The input's shape, '3x224x224', or each named input's: 'tokens 128, image 3x224x224'."""
    if not report.named_inputs:
        return shape_text(report.input_shape)
    return ", ".join(f"{name} {shape_text(shape)}" for name, shape in report.inputs)


def outputs_text(report: Report) -> str:
    """The output's shape, or each declared output's: 'boxes 4x100, scores 100'."""
    if not report.declared_outputs:
        return shape_text(report.output_shape)
    return ", ".join(f"{name} {shape_text(shape)}" for name, shape in report.outputs)


def title_text(report: Report) -> str:
    """'name: input -> output', the title of every table."""
    return f"{report.name}: {inputs_text(report)} -> {outputs_text(report)}"


def kind_text(row: Row) -> str:
    """A row's type with its marks: 'conv2d (training)', 'dense (frozen)', 'conv2d (shares conv1)',
    'dense (tied to wte)' (a layer sharing another type's parameters)."""
    marks = [m for m, on in (("training", row.training_only), ("frozen", not row.trainable)) if on]
    if row.shares is not None:
        marks.append(f"tied to {row.shares}" if row.tied else f"shares {row.shares}")
    return f"{row.kind} ({', '.join(marks)})" if marks else row.kind


def width(text: str) -> int:
    """Terminal columns of a text: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert(cell: Any) -> Any:
    """A text cell a spreadsheet would run as a formula ('=HYPERLINK(...)' as a spec name), quoted by
    a leading apostrophe (OWASP's CSV injection advice); numbers, negative ones too, stay numbers."""
    if not isinstance(cell, str) or len(cell) < 2 or not cell.startswith(FORMULA_STARTS):
        return cell
    try:
        float(cell)
    except ValueError:
        return "'" + cell
    return cell


class CsvWriter:
    """csv.writer with '\n' line ends whose text cells cannot start a formula."""

    def __init__(self, buffer: io.StringIO) -> None:
        import csv  # only the CSV outputs pay for it

        self._writer = csv.writer(buffer, lineterminator="\n")

    def writerow(self, row: Iterable[Any]) -> None:
        """Write one row."""
        self._writer.writerow([_inert(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write every row."""
        for row in rows:
            self.writerow(row)
