"""`netcalc explain`: each figure as its formula with the layer's numbers, as text or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

from netcalc.analysis.explain import Explained, Figure
from netcalc.render.text import shape_text


def explain_text(results: Sequence[Explained]) -> str:
    """One block of lines per layer (or block), then the totals as sums."""
    out: list[str] = []
    for result in results:
        out.append(f"{result.name} ({result.source})")
        for line in result.lines:
            inputs = " + ".join(shape_text(s) for s in line.input_shapes)
            kind = line.kind if line.kind.startswith("[") else f"'{line.kind}'"
            name = line.name if line.trainable else f"{line.name}, frozen"
            out += ["", f"layer {line.index} {kind} ({name}): {inputs} -> {shape_text(line.output_shape)}"]
            if line.note:
                out.append(f"  shape: {line.note}")
            out += [f"  {_figure(f)}" for f in line.figures]
        if result.totals:
            out += ["", *(_figure(f) for f in result.totals)]
        out.append("")
    return "\n".join(out)


def _figure(f: Figure) -> str:
    value = f"{f.value:,}" if isinstance(f.value, int) else f.value
    formula = f.formula.pretty if f.formula is not None else ""
    text = (
        f"{f.what} = {formula} = {value}"
        if formula and formula != str(f.value) and formula != value
        else f"{f.what} = {value}"
    )
    return text + (f"  ({f.note})" if f.note else "")


def explain_json(results: Sequence[Explained], many: bool) -> str:
    """The explanations as JSON: a list when several specs were asked."""
    data = [r.to_dict() for r in results]
    return json.dumps(data if many else data[0], indent=2, ensure_ascii=False) + "\n"
