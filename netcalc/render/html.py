"""One self-contained HTML page of a report: totals, diagram, memory, collapsible layer table, spec.

No external script, style sheet, font or image: everything is inline, so the file opens offline
and can be attached to an issue or a review. The page needs no script to read; a small inline one
adds 'expand all' and 'collapse all'.
"""

from __future__ import annotations

import re
from html import escape

from netcalc import __version__
from netcalc.render.text import inputs_text, kind_text, outputs_text, shape_text, title_text
from netcalc.report import GroupRow, Report, Row
from netcalc.units import human

STYLE = """
:root { --ink: #1d2327; --muted: #5f6b73; --line: #e3e7ea; --accent: #f16913; --soft: #fdf1e8; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
       color: var(--ink); background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 12px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
.meta, .desc { color: var(--muted); margin: 2px 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 10px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; background: #fafbfc; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .sub { color: var(--muted); font-size: 12px; }
.diagram { border: 1px solid var(--line); border-radius: 8px; overflow: auto; max-height: 70vh;
           padding: 8px; text-align: center; }
.diagram svg { max-width: 100%; height: auto; }
.bars { display: grid; grid-template-columns: 220px 1fr 130px; gap: 6px 12px; align-items: center; }
.bar { height: 14px; background: var(--accent); border-radius: 3px; min-width: 1px; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.table { border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
.row { display: grid; gap: 8px; padding: 3px 10px; border-top: 1px solid var(--line);
       grid-template-columns: 76px minmax(0, 2.4fr) minmax(0, 1.3fr) minmax(0, 1.1fr) minmax(0, 1fr)
                              minmax(0, 1fr) minmax(0, 1.2fr);
       font-variant-numeric: tabular-nums; }
.row > div { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.row > :nth-child(1), .row > :nth-child(n+5) { text-align: right; }
.row.head { font-weight: 600; background: #f3f5f7; border-top: 0; }
.row.total { font-weight: 600; background: #f3f5f7; }
details > summary { list-style: none; cursor: pointer; }
details > summary::-webkit-details-marker { display: none; }
.group { background: var(--soft); font-weight: 600; }
.group .name::before { content: "\\25B8  "; color: var(--accent); }
details[open] > summary .group .name::before { content: "\\25BE  "; }
.training { color: var(--muted); font-style: italic; }
.controls { margin: 0 0 8px; }
button { font: inherit; padding: 3px 10px; border: 1px solid var(--line); border-radius: 6px;
         background: #fff; cursor: pointer; }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 8px; padding: 12px;
      overflow: auto; font: 12.5px/1.5 ui-monospace, "DejaVu Sans Mono", monospace; }
.warnings li { color: #8a4b00; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; }
"""

SCRIPT = """
function openAll(open) {
  document.querySelectorAll("#layers details").forEach((d) => { d.open = open; });
}
document.getElementById("expand").addEventListener("click", () => openAll(true));
document.getElementById("collapse").addEventListener("click", () => openAll(false));
if (location.hash === "#expand") openAll(true);  // a link to the page with every block open
document.documentElement.dataset.ready = "yes";
"""

COLUMNS = ("#", "Layer", "Type", "Output shape", "Params", "Neurons", "MACs")


def _card(key: str, label: str, value: int, sub: str) -> str:
    return (
        f'<div class="card"><div class="label">{escape(label)}</div>'
        f'<div class="value" id="total-{key}" data-value="{value}">{value:,}</div>'
        f'<div class="sub">{escape(sub)}</div></div>'
    )


def totals(report: Report) -> str:
    """The totals as cards, each value exact with its human size beneath."""
    t, b = report.totals, report.batch
    per = f" (batch {b})" if b > 1 else ""
    cards = [
        ("params", "Parameters", t.params, human(t.params) + " trainable"),
        ("non_trainable_params", "Non-trainable state", t.state, "batchnorm running statistics"),
        ("neurons", "Neurons", t.neurons, human(t.neurons)),
        ("macs", "MACs" + per, t.macs * b, human(t.macs * b)),
        ("flops", "FLOPs" + per, 2 * t.macs * b, "2 x MACs"),
        ("activations", "Activations" + per, t.activations * b, human(t.activations * b) + " elements"),
        ("memory", "Memory" + per, report.memory.total, human(report.memory.total, "B") + f" {report.dtype}"),
        (
            "peak_memory",
            "Peak memory" + per,
            report.peak_bytes,
            human(report.peak_bytes, "B") + " weights + live",
        ),
    ]
    return '<div class="cards">' + "".join(_card(*c) for c in cards) + "</div>"


def memory(report: Report) -> str:
    """Bars for the input, the weights, all activations and the peak of live tensors."""
    m = report.memory
    parts = [
        ("Input", m.input),
        ("Weights (params + state)", m.params),
        ("Activations (every output)", m.activations),
    ]
    if report.peak_layer is not None:
        live = report.peak_bytes - m.params
        layer = report.rows[report.peak_layer].name
        parts.append((f"Live tensors at the peak ({layer})", live))
    parts.append(("Total (input + weights + activations)", m.total))
    top = max(v for _, v in parts) or 1
    rows = "".join(
        f'<div>{escape(label)}</div><div><div class="bar" style="width:{100 * v / top:.2f}%"></div></div>'
        f'<div class="num" title="{v:,} bytes">{escape(human(v, "B"))}</div>'
        for label, v in parts
    )
    return f'<div class="bars">{rows}</div>'


def _cells(
    index: str,
    name: str,
    kind: str,
    shape: tuple[int, ...],
    params: int,
    neurons: int,
    macs: int,
    depth: int = 0,
) -> str:
    values = (index, name, kind, shape_text(shape), f"{params:,}", f"{neurons:,}", f"{macs:,}")
    indent = f' style="padding-left:{16 * depth}px"' if depth else ""  # the name only: columns stay aligned
    return "".join(
        f'<div class="name"{indent}>{escape(v)}</div>' if i == 1 else f"<div>{escape(v)}</div>"
        for i, v in enumerate(values)
    )


def _row(r: Row) -> str:
    c = r.counts
    kind = kind_text(r)
    training = " training" if r.training_only else ""
    return (
        f'<div class="row{training}">'
        + _cells(str(r.index), r.name, kind, r.output_shape, c.params, c.neurons, c.macs, r.depth)
        + "</div>"
    )


def _group(g: GroupRow) -> str:
    c = g.counts
    kind = f"[{g.block} x{g.repeat}]" if g.repeat else f"[{g.block}]"
    kind += " (training)" if g.training_only else ""
    first = f"{g.first}-{g.last}" if g.last > g.first else str(g.first)
    return (
        f'<details data-group="{escape(g.name)}"><summary><div class="row group">'
        + _cells(first, g.name, kind, g.output_shape, c.params, c.neurons, c.macs, g.depth)
        + "</div></summary>"
    )


def layers(report: Report) -> str:
    """The layer table: every block use a <details> that opens onto its layers and inner blocks."""
    groups = {g.name: g for g in report.groups}
    out = ['<div class="table"><div class="row head">', *(f"<div>{c}</div>" for c in COLUMNS), "</div>"]
    opened: list[str] = []
    for row in report.rows:
        keep = 0
        while keep < min(len(opened), len(row.groups)) and opened[keep] == row.groups[keep]:
            keep += 1
        while len(opened) > keep:
            opened.pop()
            out.append("</details>")
        for path in row.groups[keep:]:
            opened.append(path)
            out.append(_group(groups[path]))
        out.append(_row(row))
    out.extend("</details>" for _ in opened)
    t = report.totals
    out.append(
        '<div class="row total">'
        + _cells("", "total", "", report.output_shape, t.params, t.neurons, t.macs)
        + "</div></div>"
    )
    return "".join(out)


def inline_svg(svg: str) -> str:
    """An SVG document as an element that can sit in HTML: no XML prolog, doctype or comments."""
    svg = re.sub(r"<\?xml[^>]*\?>", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>", "", svg, flags=re.S)
    return re.sub(r"<!--.*?-->", "", svg, flags=re.S).strip()


def page(report: Report, spec_text: str, diagram_svg: str | None, diagram_note: str = "") -> str:
    """The whole page."""
    title = title_text(report)
    meta = (
        f"{report.source} · input {inputs_text(report)} → output {outputs_text(report)}"
        f" · {len(report.rows):,} layers · {report.dtype} · batch {report.batch}"
    )
    diagram = (
        f'<div class="diagram">{inline_svg(diagram_svg)}</div>'
        if diagram_svg
        else f"<p>{escape(diagram_note)}</p>"
    )
    warnings = (
        '<h2>Warnings</h2><ul class="warnings">'
        + "".join(f"<li>{escape(w)}</li>" for w in report.warnings)
        + "</ul>"
        if report.warnings
        else ""
    )
    description = f'<p class="desc">{escape(report.description)}</p>' if report.description else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="netcalc {__version__}">
<title>{escape(title)} · netcalc report</title>
<style>{STYLE}</style>
</head>
<body>
<main>
<header><h1 id="name">{escape(report.name)}</h1>{description}<p class="meta">{escape(meta)}</p></header>
<section id="totals"><h2>Totals</h2>{totals(report)}</section>
<section id="memory"><h2>Memory</h2>{memory(report)}</section>
<section id="layers"><h2>Layers</h2>
<div class="controls"><button id="expand" type="button">Expand all</button>
<button id="collapse" type="button">Collapse all</button></div>
{layers(report)}</section>
<section id="diagram"><h2>Diagram</h2>{diagram}</section>
{warnings}
<section id="spec"><h2>Spec</h2><pre><code>{escape(spec_text)}</code></pre></section>
<footer>Written by netcalc {__version__}. Counts per sample unless a batch is named; MACs count one
multiply-add; memory in powers of 1000.</footer>
</main>
<script>{SCRIPT}</script>
</body>
</html>
"""
