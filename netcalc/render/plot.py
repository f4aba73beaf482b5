"""A sweep drawn with matplotlib (the optional `netcalc[plot]` extra, imported only here).

One panel per metric, the first swept argument along x, one line per spec (and per value of the
other arguments); logarithmic axes where the values span decades; the last value of each line written
beside it, so the picture carries the numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netcalc.errors import NetcalcError, UsageError
from netcalc.explore.sweep import METRICS, Point, Sweep
from netcalc.units import human

FORMATS = (".png", ".svg")
MAX_LINES = 12  # more would be unreadable: a legend of a dozen is already a lot
MAX_PANELS = 6


def check_plot_path(path: str) -> None:
    """Raise UsageError unless the plot goes to a .png or .svg file."""
    if Path(path).suffix.lower() not in FORMATS:
        raise UsageError(f"--plot {path}: write a .png or .svg file")


def lines(sweep: Sweep) -> dict[str, list[Point]]:
    """The points of each line: a spec, and the values of every argument but the first."""
    result: dict[str, list[Point]] = {}
    for p in _drawn(sweep):
        others = ", ".join(f"{n}={p.args[n]}" for n in sweep.names[1:])
        result.setdefault(f"{p.spec} ({others})" if others else p.spec, []).append(p)
    return result


def _drawn(sweep: Sweep) -> list[Point]:
    """The points with totals (a point that failed has none to draw)."""
    return [p for p in sweep.points if p.error is None]


def plot(sweep: Sweep, path: str, metrics: tuple[str, ...] | None = None) -> str:
    """Draw the sweep to a PNG or SVG file; returns the path written."""
    check_plot_path(path)
    keys = metrics or sweep.metrics
    series = lines(sweep)
    if len(series) > MAX_LINES:
        raise UsageError(f"--plot: {len(series)} lines, more than {MAX_LINES} — sweep fewer values")
    if len(keys) > MAX_PANELS:
        raise UsageError(f"--plot: {len(keys)} metrics, more than {MAX_PANELS} — choose some with --metrics")
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"  # SVG text stays text: searchable, and small
    plt.rcParams["svg.hashsalt"] = "netcalc"  # stable ids: the same sweep gives the same file
    figure, axes = plt.subplots(1, len(keys), figsize=(5.2 * len(keys), 4.2), squeeze=False)
    for ax, key in zip(axes[0], keys, strict=True):
        _panel(ax, sweep, series, key)
    axes[0][0].legend(loc="best", fontsize=9, frameon=False)
    figure.suptitle(_title(sweep), fontsize=11)
    figure.tight_layout()
    out = Path(path)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(out, dpi=110, metadata=_metadata(out))
    except OSError as error:
        raise NetcalcError(f"--plot {path}: cannot write: {error.strerror or error}") from None
    finally:
        plt.close(figure)
    return str(out)


def _metadata(out: Path) -> dict[str, Any]:
    # no dates or versions in the file: the same sweep gives the same bytes (README images stay put)
    if out.suffix.lower() == ".svg":
        return {"Date": None, "Creator": None}
    return {"Software": None}


def _title(sweep: Sweep) -> str:
    batch = f", batch {sweep.batch}" if sweep.batch != 1 else ""
    return f"netcalc sweep over {sweep.names[0]}{batch}"


def _panel(ax: Any, sweep: Sweep, series: dict[str, list[Point]], key: str) -> None:
    metric = METRICS[key]
    name = sweep.names[0]
    xs_all = [p.args[name] for p in _drawn(sweep)]
    numeric = all(type(x) in (int, float) for x in xs_all)
    categories = list(dict.fromkeys(str(x) for x in xs_all))
    for label, points in series.items():
        xs = [p.args[name] if numeric else categories.index(str(p.args[name])) for p in points]
        ys = [p.values[key] for p in points]
        (line,) = ax.plot(xs, ys, marker="o", markersize=4, linewidth=2, label=label)
        ends = [(-1, 6, "left")] if ys[0] == ys[-1] else [(0, -6, "right"), (-1, 6, "left")]
        for i, dx, side in ends:  # the first and last values, so the picture carries the numbers
            ax.annotate(
                _label(ys[i]),
                (xs[i], ys[i]),
                textcoords="offset points",
                xytext=(dx, 0),
                ha=side,
                va="center",
                fontsize=9,
                color=line.get_color(),
            )
    if numeric and _log_x([float(x) for x in xs_all]):
        ax.set_xscale("log", base=2 if _powers_of_two(xs_all) else 10)
        ticks = sorted(set(xs_all))
        if len(ticks) <= 12:
            ax.set_xticks(ticks, [str(t) for t in ticks])
            ax.minorticks_off()
    elif not numeric:
        ax.set_xticks(range(len(categories)), categories)
    values = [float(p.values[key]) for p in _drawn(sweep)]
    if _spans_decades(values, 100):
        ax.set_yscale("log")
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _short(v)))
    ax.set_xlabel(name)
    ax.set_ylabel(metric.unit)
    ax.set_title(metric.label)
    ax.grid(True, which="major", alpha=0.3)
    ax.margins(x=0.25)


def _label(value: int) -> str:
    """A value beside its point: exact below a million, else 1.05 G."""
    return f"{value:,}" if value < 10**6 else human(value)


def _short(value: float) -> str:
    """An axis tick: 1G, 250M, 10k, 0.5."""
    for factor, prefix in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g}{prefix}"
    return f"{value:.3g}"


def _log_x(values: list[float]) -> bool:
    """A log axis for geometric steps (16, 32, 64 ...) or a span of decades; linear for even steps."""
    steps = sorted(set(values))
    gaps = {round(b - a, 9) for a, b in zip(steps, steps[1:], strict=False)}
    even = len(gaps) <= 1
    return steps[0] > 0 and (_spans_decades(steps) or (not even and steps[-1] / steps[0] >= 4))


def _spans_decades(values: list[float], ratio: float = 10) -> bool:
    positive = [v for v in values if v > 0]
    return len(positive) == len(values) and bool(positive) and max(positive) / min(positive) >= ratio


def _powers_of_two(values: list[Any]) -> bool:
    return all(type(v) is int and v > 0 and v & (v - 1) == 0 for v in values)
