"""Behaviour unchanged: every shipped spec and zoo model gives the figures netcalc 0.1 gave.

tests/snapshots/figures-0.1.json was written by netcalc 0.1 (commit 1fb4907) before the house
refactor: `Report.to_dict()` of each spec at batch 1 and 4. New keys may appear in the JSON; every
key the snapshot holds must keep its value.
"""

import json
from pathlib import Path

import pytest

import netcalc

SNAPSHOT = json.loads((Path(__file__).parent / "snapshots" / "figures-0.1.json").read_text())


def _subset_diff(old, new, path="") -> list[str]:
    """Where `new` lacks or changes a value that `old` has."""
    if isinstance(old, dict):
        if not isinstance(new, dict):
            return [f"{path}: was a mapping, now {type(new).__name__}"]
        return [
            d
            for k, v in old.items()
            for d in (_subset_diff(v, new[k], f"{path}.{k}") if k in new else [f"{path}.{k}: gone"])
        ]
    if isinstance(old, list):
        if not isinstance(new, list) or len(new) != len(old):
            return [f"{path}: list changed length or type"]
        return [
            d
            for i, (a, b) in enumerate(zip(old, new, strict=True))
            for d in _subset_diff(a, b, f"{path}[{i}]")
        ]
    return [] if old == new else [f"{path}: was {old!r}, now {new!r}"]


@pytest.mark.parametrize("key", sorted(SNAPSHOT))
def test_figures_unchanged_since_0_1(key: str) -> None:
    source, batch = key.rsplit("@", 1)
    new = json.loads(json.dumps(netcalc.analyze(netcalc.load(source), batch=int(batch)).to_dict()))
    assert _subset_diff(SNAPSHOT[key], new) == []
