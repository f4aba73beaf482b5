"""`load`: a spec from anywhere, read, validated and expanded into a Network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netcalc.graph import Network, expand
from netcalc.spec import Spec, read
from netcalc.spec.messages import validate_spec

Source = str | Path | dict[str, Any] | Spec | Network


def load(source: Source) -> Network:
    """The network of a spec: a path, YAML or JSON text, a dict, 'zoo:NAME', a Spec or a Network."""
    if isinstance(source, Network):
        return source
    if isinstance(source, Spec):
        return expand(source)
    raw, origin = read(source)
    return expand(validate_spec(raw, origin))
