"""The expansion validates an entry's values once per distinct values besides its own name and
`from` (copying the first layer for the others): every layer equals the one validating the entry
afresh would give, with the same fields set."""

from __future__ import annotations

from typing import Any

import pytest

import netcalc
from netcalc import graph
from netcalc.layers import Layer
from netcalc.spec.messages import validate_layer
from netcalc.zoo import names

DAG = """\
input: [8, 4, 4]
layers:
""" + "".join(
    f"""\
  - conv2d: {{filters: 8, kernel: 1, name: c{i}}}
  - relu
  - conv2d: {{filters: 8, kernel: 1, name: d{i}, from: -2}}
  - add: {{from: [-1, c{i}]}}
  - concat: {{from: [d{i}, c{i}], name: k{i}}}
  - conv2d: {{filters: 8, kernel: 1, from: k{i}}}
"""
    for i in range(4)
)


def _afresh(self: Any, kind: str, values: dict[str, Any], where: str, index: int, path: str) -> Layer:
    return validate_layer(kind, values, where, graph._layer_label(index, kind, path))


def _layers(source: str) -> list[tuple[Layer, set[str]]]:
    network = netcalc.load(source)
    return [(n.layer, set(n.layer.model_fields_set)) for n in network.nodes]


@pytest.mark.parametrize("source", [DAG, *(f"zoo:{name}" for name in names())])
def test_cached_layers_are_the_fresh_ones(source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    cached = _layers(source)
    monkeypatch.setattr(graph._Builder, "_validated", _afresh)
    fresh = _layers(source)
    assert [repr(layer) for layer, _ in cached] == [repr(layer) for layer, _ in fresh]
    assert cached == fresh
