"""The spec file: reading it (bounded), its pydantic models, and validation messages."""

from netcalc.spec.messages import nearest, validate_layer
from netcalc.spec.model import DTYPE_BYTES, Block, Spec
from netcalc.spec.read import read

__all__ = ["DTYPE_BYTES", "Block", "Spec", "nearest", "read", "validate_layer"]
