"""`load`: a spec from anywhere, read, validated and expanded into a Network."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from netcalc.collector import paused
from netcalc.graph import Network, expand
from netcalc.spec import Spec, read
from netcalc.spec.args import bind, layer_arguments
from netcalc.spec.messages import validate_spec

Source = str | Path | dict[str, Any] | Spec | Network


def load(source: Source, args: Mapping[str, Any] | None = None, input: Any = None) -> Network:
    """The network of a spec: a path, YAML or JSON text, a dict, 'zoo:NAME', a Spec or a Network.

    `args` overrides the spec's arguments (`args: {size: 256}` at its top); `input` replaces its
    input shape ('3x512x512' or a list of sizes). A loaded Network or Spec is only re-expanded.
    A str is YAML/JSON text when it has a newline, starts with '{', or names no file and reads as a
    mapping with 'input' or 'layers' ("input: [3]"); otherwise a path. Reads are bounded (10 MiB).
    Raises SpecError or ShapeError for the spec, UsageError for a source of another type.
    """
    if isinstance(source, Network) and not args and input is None:
        return source
    with paused():
        return _load(source, args, input)


def _load(source: Source, args: Mapping[str, Any] | None, input: Any) -> Network:
    if isinstance(source, Network):
        spec = bind(source.spec, args, input)
        changed = {k for k, v in spec.args.items() if source.spec.args.get(k) != v}
        if not changed & layer_arguments(spec):  # only the input moved: the same layers, new shapes
            return Network(spec, source.nodes, source.groups, source.declared)
        return expand(spec)
    if not isinstance(source, Spec):
        raw, origin = read(source)
        source = validate_spec(raw, origin)
    return expand(bind(source, args, input))
