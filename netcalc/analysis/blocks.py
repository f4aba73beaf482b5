"""Block subtotals: one GroupRow per block use and per repeat of it."""

from __future__ import annotations

from dataclasses import dataclass

from netcalc.engine import Counts, Row
from netcalc.graph import Network


@dataclass(frozen=True, slots=True)
class GroupRow:
    """A block instance or repeat group with its subtotals."""

    name: str
    block: str
    depth: int
    parent: str | None
    repeat: int | None
    first: int  # index of its first row
    last: int  # index of its last row
    output_shape: tuple[int, ...]
    counts: Counts  # inference figures; a wholly training-only group: its own full cost
    training_only: bool = False


def groups(network: Network, rows: tuple[Row, ...]) -> tuple[GroupRow, ...]:
    """The subtotals of every block use, outermost first, in the order they open."""
    members: dict[str, list[Row]] = {g.path: [] for g in network.groups}
    for row in rows:
        for path in row.groups:
            members[path].append(row)
    result = []
    for g in network.groups:
        inside = members[g.path]
        training = all(r.training_only for r in inside)  # its own cost; else inference only
        counts = Counts.total([r.counts if training else r.inference for r in inside])
        result.append(
            GroupRow(
                g.path,
                g.block,
                g.depth,
                g.parent,
                g.repeat,
                inside[0].index,
                inside[-1].index,
                inside[-1].output_shape,
                counts,
                training,
            )
        )
    return tuple(result)


def totals(rows: tuple[Row, ...]) -> Counts:
    """The inference totals of the network, per sample."""
    return Counts.total([r.inference for r in rows])
