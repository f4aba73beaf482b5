"""`load`: a spec from anywhere, read, validated and expanded into a Network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netcalc.graph import Network, expand
from netcalc.spec import Spec, read
from netcalc.spec.messages import validate_spec
from netcalc.spec.yamlio import parse

Source = str | Path | dict[str, Any] | Spec | Network


def load(source: Source) -> Network:
    """The network of a spec: a path, YAML or JSON text, a dict, 'zoo:NAME', a Spec or a Network."""
    if isinstance(source, Network):
        return source
    if isinstance(source, Spec):
        return expand(source)
    raw, origin = read(source)
    return expand(validate_spec(raw, origin))


def load_text(text: str, origin: str) -> Network:
    """The network of YAML or JSON text read from `origin` (stdin), which names it in messages."""
    return expand(validate_spec(parse(text, origin), origin))
