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
    "load",
    "run",
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
