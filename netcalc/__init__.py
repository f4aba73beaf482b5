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
    "diff",
    "load",
    "run",
    "sweep",
    "to_torch",
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


def to_torch(spec: Source) -> Any:
    """The spec as a torch.nn.Module, names kept (imports PyTorch: pip install 'netcalc[torch]')."""
    from netcalc.interop.torch_code import to_torch as build

    return build(load(spec))
