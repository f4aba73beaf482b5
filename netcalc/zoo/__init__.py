"""Specs of well-known networks, shipped with netcalc and reachable as `zoo:NAME`."""

from __future__ import annotations

from pathlib import Path

from netcalc.errors import SpecError
from netcalc.spec import nearest

HERE = Path(__file__).parent


def names() -> list[str]:
    """The zoo's spec names, sorted."""
    return sorted(p.stem for p in HERE.glob("*.yaml"))


def zoo_path(name: str) -> Path:
    """The file of a zoo spec, or a SpecError naming the choices."""
    path = HERE / f"{name}.yaml"
    if not name or "/" in name or not path.is_file():
        hint = nearest(name, names()) or f" — available: {', '.join(names())}"
        raise SpecError(f"zoo:{name}: no such zoo spec{hint}")
    return path
