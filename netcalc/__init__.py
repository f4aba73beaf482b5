"""netcalc: shapes, parameters, neurons, MACs and memory of a neural-network design.

    >>> import netcalc
    >>> report = netcalc.analyze(netcalc.load("specs/dense-vs-conv/conv.yaml"))
    >>> report.params
    37568

Importing netcalc never imports NumPy; `run` and `verify` do, when called.
"""

from netcalc.engine import analyze
from netcalc.errors import NetcalcError, ResourceError, ShapeError, SpecError, VerifyError
from netcalc.spec import Spec, load

__version__ = "0.1.0"

__all__ = [
    "NetcalcError",
    "ResourceError",
    "ShapeError",
    "Spec",
    "SpecError",
    "VerifyError",
    "analyze",
    "load",
    "run",
    "verify",
    "__version__",
]


def run(spec, x=None, weights=None, seed: int = 0, **options):
    """Execute a spec with the NumPy backend (imports NumPy); returns a backend.Result."""
    from netcalc.backend import run as run_backend

    return run_backend(
        spec if isinstance(spec, Spec) else load(spec), x=x, weights=weights, seed=seed, **options
    )


def verify(spec, **options):
    """Check every counted figure of a spec against real arrays; returns a Verification."""
    from netcalc.verification import verify as verify_spec

    return verify_spec(spec if isinstance(spec, Spec) else load(spec), **options)
