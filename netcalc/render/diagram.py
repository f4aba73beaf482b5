"""A diagram as Graphviz DOT, Mermaid or SVG: boxes that carry their figures, edges that follow `from`.

The SVG is laid out by `dot` from the graphviz-pure wheel (the `netcalc[diagram]` extra): a port of
Graphviz's layered layout shipped as one binary per platform, so nothing but pip is needed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from netcalc.errors import NetcalcError, UsageError
from netcalc.explore.diagram import Box, Diagram
from netcalc.render.text import shape_text
from netcalc.units import human

FONT = "DejaVu Sans"  # a font graphviz-pure knows the metrics of, so the text fits its box
MAX_BOXES = 5_000  # past this no picture is readable: use --depth
LAYOUT_SECONDS = 120
SKIP_COLOUR = "#1f77b4"  # skip connections and branches: blue, dashed
EDGE_COLOUR = "#555555"


def fill(share: float) -> str:
    """White for nothing, deep orange for the whole network; square-root scaled so 1% still shows."""
    t = min(1.0, max(0.0, share)) ** 0.5
    low, high = (255, 255, 255), (241, 105, 19)
    r, g, b = (round(a + (z - a) * t) for a, z in zip(low, high, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def figures(box: Box) -> str:
    """'params 1.23 M | MACs 115.61 M', exact below ten thousand."""

    def n(v: int) -> str:
        return f"{v:,}" if v < 10_000 else human(v)

    return f"params {n(box.params)} | MACs {n(box.macs)}"


def lines(box: Box, colour_by: str) -> list[str]:
    """The text of a box: name, type (or block x repeat), output shape, figures, share."""
    if box.kind == "input":  # an input's box: its name ('input' for the one input) and shape
        return [box.id, shape_text(box.output_shape)]
    kind = f"[{box.kind}]" if box.block else box.kind
    if box.training_only:
        kind += " (training)"
    share = f"{box.share:.1%} of {'params' if colour_by == 'params' else 'MACs'}"
    return [box.id, kind, shape_text(box.output_shape), figures(box), share]


def title(d: Diagram) -> str:
    """What the picture shows and what its colours mean."""
    level = "every layer" if d.depth is None else f"blocks at depth {d.depth}"
    what = "parameters" if d.colour_by == "params" else "MACs"
    return f"{d.name}: {level}; colour = share of {what}; dashed blue = skip or branch"


def _dot_id(name: str) -> str:
    """A quoted DOT id: names may hold quotes or backslashes."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dot_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def to_dot(d: Diagram) -> str:
    """Graphviz DOT with HTML-like labels: `dot -Tsvg` draws it as netcalc's SVG does."""
    out = [
        f'digraph "{_dot_text(d.name)}" {{',
        "  rankdir=TB; nodesep=0.25; ranksep=0.3;",
        f'  label="{_dot_text(title(d))}"; labelloc=t; fontname="{FONT}"; fontsize=12;',
        f'  node [shape=box, style="rounded,filled", fontname="{FONT}", fontsize=10, margin="0.12,0.05"];',
        f'  edge [color="{EDGE_COLOUR}", arrowsize=0.6];',
    ]
    for box in d.boxes:
        text = lines(box, d.colour_by)
        label = "<B>" + _dot_text(text[0]) + "</B>" + "".join(f"<BR/>{_dot_text(t)}" for t in text[1:])
        style = ', style="rounded,filled,dashed"' if box.training_only else ""
        out.append(f'  {_dot_id(box.id)} [label=<{label}>, fillcolor="{fill(box.share)}"{style}];')
    for e in d.edges:
        attributes = f' [style=dashed, color="{SKIP_COLOUR}"]' if e.skip else ""
        out.append(f"  {_dot_id(e.source)} -> {_dot_id(e.target)}{attributes};")
    out.append("}")
    return "\n".join(out) + "\n"


def _mermaid_id(index: int) -> str:
    return f"n{index}"


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def to_mermaid(d: Diagram) -> str:
    """A Mermaid flowchart (top-down) for Markdown pages: node ids n0, n1, ... with quoted labels."""
    ids = {box.id: _mermaid_id(i) for i, box in enumerate(d.boxes)}
    out = ["flowchart TD"]
    for box in d.boxes:
        text = lines(box, d.colour_by)
        label = (
            "<b>" + _mermaid_text(text[0]) + "</b><br/>" + "<br/>".join(_mermaid_text(t) for t in text[1:])
        )
        out.append(f'  {ids[box.id]}["{label}"]')
    skips = []
    for i, e in enumerate(d.edges):
        arrow = "-.->" if e.skip else "-->"
        out.append(f"  {ids[e.source]} {arrow} {ids[e.target]}")
        if e.skip:
            skips.append(str(i))
    for box in d.boxes:
        out.append(f"  style {ids[box.id]} fill:{fill(box.share)},stroke:#444")
    if skips:
        out.append(f"  linkStyle {','.join(skips)} stroke:{SKIP_COLOUR}")
    return "\n".join(out) + "\n"


def check_size(d: Diagram) -> None:
    """Refuse a picture too big to read or lay out."""
    if len(d.boxes) > MAX_BOXES:
        raise UsageError(
            f"the diagram would have {len(d.boxes):,} boxes, more than {MAX_BOXES:,} "
            "— draw blocks with --depth 1"
        )


def dot_program() -> str:
    """The graphviz-pure executable installed beside this Python, or a NetcalcError saying how to get it."""
    found = shutil.which("graphviz-pure")
    if found:
        return found
    scripts = Path(sysconfig.get_path("scripts")) / (
        "graphviz-pure.exe" if sys.platform == "win32" else "graphviz-pure"
    )
    if scripts.exists():
        return str(scripts)
    raise NetcalcError(
        "drawing SVG needs the graphviz-pure layout: pip install netcalc[diagram] "
        "(or write --format dot or --format mermaid)"
    )


def to_svg(d: Diagram) -> str:
    """The diagram laid out by graphviz-pure's dot and drawn as SVG."""
    check_size(d)
    try:
        done = subprocess.run(
            [dot_program(), "-Tsvg"],
            input=to_dot(d).encode(),
            capture_output=True,
            timeout=LAYOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise NetcalcError(
            f"the layout took more than {LAYOUT_SECONDS} s — draw fewer boxes with --depth"
        ) from None
    if done.returncode != 0:
        problem = done.stderr.decode(errors="replace").strip().splitlines()
        raise NetcalcError(f"the layout failed: {problem[-1] if problem else f'exit {done.returncode}'}")
    return done.stdout.decode()
