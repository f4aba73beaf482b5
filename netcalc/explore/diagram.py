"""The graph a diagram draws: one box per layer, or per block use at a depth (a repeat is one box),
and one edge per `from` relation between boxes, each box with its figures and share of the total."""

from __future__ import annotations

from dataclasses import dataclass

from netcalc.errors import UsageError
from netcalc.report import GroupRow, Report, Row

SHARES = ("params", "macs")


@dataclass(frozen=True, slots=True)
class Box:
    """A layer, a block use or the input: what it is, what it gives, what it costs."""

    id: str  # the layer's or group's path; the input's name ('input') for an input
    kind: str  # a layer type, 'bottleneck x6' for a repeated block, 'input'
    output_shape: tuple[int, ...]
    params: int
    macs: int
    share: float  # of the network's params or MACs, 0..1
    layers: int  # how many layers it stands for
    block: bool = False
    training_only: bool = False


@dataclass(frozen=True, slots=True)
class Edge:
    """A tensor from one box to another; `skip` when it is not the target's main input (a residual,
    a concatenated branch): the longest path from the input is the main one."""

    source: str
    target: str
    skip: bool = False


@dataclass(frozen=True, slots=True)
class Diagram:
    """Boxes in execution order (the input first) and the edges between them."""

    name: str
    colour_by: str
    depth: int | None
    boxes: tuple[Box, ...]
    edges: tuple[Edge, ...]


def diagram(report: Report, depth: int | None = None, colour_by: str = "params") -> Diagram:
    """The boxes and edges of a report: every layer, or at `depth` N the block uses nested N deep as
    one box each (1: the spec's top-level blocks; a repeated use is one box, 'bottleneck x6')."""
    if colour_by not in SHARES:
        raise UsageError(f"--colour {colour_by}: choose params or macs")
    if depth is not None and depth < 1:
        raise UsageError(f"--depth {depth}: 1 draws the top-level blocks as boxes, 2 the blocks in them, ...")
    total = report.totals.params if colour_by == "params" else report.totals.macs
    groups = {g.name: g for g in report.groups}
    inputs = report.inputs or (("input", report.input_shape),)
    owner = {name: name for name, _ in inputs}  # layer (or input) name -> its box id
    boxes: dict[str, Box] = {name: Box(name, "input", shape, 0, 0, 0.0, 0) for name, shape in inputs}
    for row in report.rows:
        box_id = _box_of(row, depth, groups)
        owner[row.name] = box_id
        if box_id not in boxes:
            if box_id == row.name:
                boxes[box_id] = _layer_box(row, colour_by, total)
            else:
                boxes[box_id] = _group_box(groups[box_id], colour_by, total)
    pairs: dict[tuple[str, str], None] = {}  # (source, target) in the order the layers name them
    for row in report.rows:
        target = owner[row.name]
        for name in row.inputs:
            if owner[name] != target:
                pairs[(owner[name], target)] = None
    main = _main_inputs(list(boxes), list(pairs))
    edges = tuple(Edge(a, b, main.get(b) != a) for a, b in pairs)
    return Diagram(report.name, colour_by, depth, tuple(boxes.values()), edges)


def _main_inputs(order: list[str], pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Each box's main input: the one on the longest path from the input (the latest on a tie).
    The others are the skips and side branches a merge brings in; the picture dashes them."""
    position = {b: i for i, b in enumerate(order)}
    sources: dict[str, list[str]] = {}
    for a, b in pairs:
        sources.setdefault(b, []).append(a)
    longest = {order[0]: 0}
    main: dict[str, str] = {}
    for box in order[1:]:  # execution order: every source comes before its target
        if box in sources:
            best = max(sources[box], key=lambda a: (longest[a], position[a]))
            main[box], longest[box] = best, longest[best] + 1
        else:
            longest[box] = 0
    return main


def _box_of(row: Row, depth: int | None, groups: dict[str, GroupRow]) -> str:
    """The block use a row collapses into at this depth, or the row itself. The instances of a
    repeated use (layer1.1, layer1.2) are not a level of their own: the use is one box."""
    if depth is None:
        return row.name
    uses = [path for path in row.groups if not _instance(groups[path], groups)]
    return uses[depth - 1] if len(uses) >= depth else row.name


def _instance(group: GroupRow, groups: dict[str, GroupRow]) -> bool:
    return group.parent is not None and groups[group.parent].repeat is not None


def _share(value: int, total: int) -> float:
    return value / total if total else 0.0


def _layer_box(row: Row, colour_by: str, total: int) -> Box:
    c = row.counts
    share = _share(c.params if colour_by == "params" else c.macs, total)
    return Box(row.name, row.kind, row.output_shape, c.params, c.macs, share, 1, False, row.training_only)


def _group_box(g: GroupRow, colour_by: str, total: int) -> Box:
    c = g.counts
    kind = f"{g.block} x{g.repeat}" if g.repeat else g.block
    share = _share(c.params if colour_by == "params" else c.macs, total)
    return Box(
        g.name, kind, g.output_shape, c.params, c.macs, share, g.last - g.first + 1, True, g.training_only
    )
