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
    "NetcalcError", "ResourceError", "ShapeError", "Spec", "SpecError", "VerifyError",
    "analyze", "load", "__version__",
]
