"""Budgets for CI (`netcalc check`): each limit beside the figure it bounds, and the margin left.

The figures: parameters (frozen ones included); MACs at the checked batch; the inference peak
(weights plus the activations alive at once, report.peak_bytes); the training memory
(analysis.training's total at the batch, optimizer and precision); and the receptive field of
the deepest layer whose field is still local on every axis (the smallest r over its axes and
output positions).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netcalc.errors import SpecError

# name: (bound, what it limits, unit)
LIMITS: dict[str, tuple[str, str, str]] = {
    "max_params": ("max", "params", "count"),
    "max_macs": ("max", "MACs", "count"),
    "max_memory": ("max", "inference memory", "bytes"),
    "max_train_memory": ("max", "training memory", "bytes"),
    "min_rf": ("min", "receptive field", "positions"),
}


@dataclass(frozen=True, slots=True)
class Limit:
    """One limit, the figure it bounds and the margin (negative when exceeded)."""

    name: str  # max_params, ...
    what: str  # "params", ...
    bound: str  # "max" or "min"
    limit: int
    figure: int
    unit: str  # count, bytes, positions
    source: str  # "spec" (its budget: section) or "option"
    note: str = ""  # where the figure comes from, when it needs saying (the rf's layer)

    @property
    def margin(self) -> int:
        """How far inside the limit the figure is: negative when it is over."""
        return self.limit - self.figure if self.bound == "max" else self.figure - self.limit

    @property
    def ok(self) -> bool:
        """The figure holds its limit."""
        return self.margin >= 0


@dataclass(frozen=True, slots=True)
class BudgetCheck:
    """A network's figures against its limits."""

    name: str
    batch: int
    limits: tuple[Limit, ...]

    @property
    def ok(self) -> bool:
        """Every limit holds."""
        return all(limit.ok for limit in self.limits)

    def over(self) -> tuple[Limit, ...]:
        """The limits exceeded."""
        return tuple(limit for limit in self.limits if not limit.ok)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ok, and each limit with its figure and margin."""
        return {
            "name": self.name,
            "batch": self.batch,
            "ok": self.ok,
            "limits": [
                {
                    "name": x.name,
                    "what": x.what,
                    "bound": x.bound,
                    "limit": x.limit,
                    "figure": x.figure,
                    "margin": x.margin,
                    "unit": x.unit,
                    "ok": x.ok,
                    "source": x.source,
                    **({"note": x.note} if x.note else {}),
                }
                for x in self.limits
            ],
        }


def deepest_local_field(report: Any) -> tuple[int, str] | None:
    """(smallest r, layer name) of the last layer whose receptive field is local on every axis."""
    field = report.receptive_field
    if field is None or not field.axes:
        return None
    for layer in reversed(field.layers):
        sizes = [axis.sizes for axis in layer.axes]
        if all(size is not None for size in sizes):
            return min(size[0] for size in sizes if size is not None), layer.name
    return None


def check(
    report: Any, limits: dict[str, int], sources: dict[str, str], train_total: int | None = None
) -> BudgetCheck:
    """The report's figures against `limits` (name -> value; see LIMITS)."""
    result = []
    for name, value in limits.items():
        bound, what, unit = LIMITS[name]
        note = ""
        if name == "max_params":
            figure = report.params
        elif name == "max_macs":
            figure = report.totals.macs * report.batch
        elif name == "max_memory":
            figure = report.peak_bytes
        elif name == "max_train_memory":
            assert train_total is not None, "the training memory is computed when it is limited"
            figure = train_total
        else:
            found = deepest_local_field(report)
            if found is None:
                raise SpecError(
                    f"{report.name}: min_rf needs a spatial input and a layer with a local receptive "
                    "field — drop min_rf for this network"
                )
            figure, layer = found
            note = f"layer {layer}"
        result.append(Limit(name, what, bound, value, figure, unit, sources[name], note))
    return BudgetCheck(report.name, report.batch, tuple(result))
