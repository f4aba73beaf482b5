"""netcalc: shapes, parameters, neurons, MACs and memory of a neural-network design.

    >>> import netcalc
    >>> report = netcalc.analyze("specs/dense-vs-conv/conv.yaml")
    >>> report.params
    37568

Importing netcalc never imports NumPy; `run`, `verify` and `export` do, when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netcalc.errors import (
    NetcalcError,
    ResourceError,
    ShapeError,
    SpecError,
    UsageError,
    VerifyError,
)
from netcalc.graph import Network
from netcalc.loading import Source, load
from netcalc.report import Report
from netcalc.report import analyze as _analyze
from netcalc.spec import Spec

if TYPE_CHECKING:
    from netcalc.backend import Result
    from netcalc.explore.diff import Diff
    from netcalc.explore.sweep import Sweep
    from netcalc.verification import Verification

__version__ = "0.1.0"

__all__ = [
    "NetcalcError",
    "Network",
    "Report",
    "ResourceError",
    "ShapeError",
    "Spec",
    "SpecError",
    "UsageError",
    "VerifyError",
    "__version__",
    "analyze",
    "diagram",
    "diff",
    "html_report",
    "load",
    "run",
    "sweep",
    "verify",
]


def analyze(source: Source, batch: int = 1, args: dict[str, Any] | None = None, input: Any = None) -> Report:
    """Every shape and count of a network: a loaded Network, a path, YAML/JSON text or a dict
    (with `args` and `input` as `load` takes them)."""
    return _analyze(load(source, args=args, input=input), batch=batch)


def run(spec: Source, x: Any = None, weights: Any = None, seed: int = 0, **options: Any) -> Result:
    """Execute a spec with the NumPy backend (imports NumPy); returns a backend.Result."""
    from netcalc.verification import run as run_network

    return run_network(load(spec), x=x, weights=weights, seed=seed, **options)


def verify(spec: Source, **options: Any) -> Verification:
    """Check every counted figure of a spec against real arrays; returns a Verification."""
    from netcalc.verification import verify as verify_network

    return verify_network(load(spec), **options)


def sweep(
    specs: Source | list[Source],
    values: dict[str, str | list[Any]],
    metrics: tuple[str, ...] | None = None,
    batch: int = 1,
) -> Sweep:
    """Totals of each spec at every combination of argument values: {"size": "32..1024*2"} or
    {"size": [32, 64]}; each spec is read once. See netcalc.explore.sweep.METRICS for the metrics."""
    from netcalc.explore.sweep import DEFAULT_METRICS, grid
    from netcalc.explore.sweep import sweep as run_sweep

    sources = specs if isinstance(specs, list) else [specs]
    texts = {k: v if isinstance(v, str) else ",".join(map(str, v)) for k, v in values.items()}
    return run_sweep([load(s) for s in sources], grid(texts), metrics or DEFAULT_METRICS, batch)


def diff(a: Source, b: Source, batch: int = 1) -> Diff:
    """Two specs aligned layer by layer, with their changes and their totals side by side."""
    from netcalc.explore.diff import diff as compare

    return compare(_analyze(load(a), batch=batch), _analyze(load(b), batch=batch))


def diagram(spec: Source, depth: int | None = None, colour: str = "params", format: str = "svg") -> str:
    """The network drawn as SVG (needs netcalc[diagram]), Graphviz DOT or Mermaid text."""
    from netcalc.explore.diagram import diagram as build
    from netcalc.render import render

    return str(render("diagram", format, build(_analyze(load(spec)), depth, colour)))


def html_report(spec: Source, batch: int = 1, spec_text: str | None = None) -> str:
    """One self-contained HTML page of the spec's report (the diagram when netcalc[diagram] is there)."""
    import yaml

    from netcalc.explore.diagram import diagram as build
    from netcalc.render.diagram import to_svg
    from netcalc.render.html import page

    network = load(spec)
    result = _analyze(network, batch=batch)
    try:
        svg, note = to_svg(build(result, 1 if result.groups else None)), ""
    except NetcalcError as error:
        svg, note = None, f"No diagram: {error}"
    text = spec_text if spec_text is not None else yaml.safe_dump(_plain(network.spec._raw), sort_keys=False)
    return page(result, text, svg, note)


def _plain(value: Any) -> Any:
    """Raw spec data as plain dicts and lists, for YAML output."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
