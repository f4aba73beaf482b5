"""The JSON writer gives json.dumps(indent=2)'s text byte for byte, on reports and on odd values."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import netcalc
from netcalc.render.jsontext import dumps, parts

DEEP: Any = [1]
for _ in range(80):  # deeper than the writer indents: json.dumps writes it
    DEEP = [DEEP]

ODD = [
    1, "a", None, True, False, 1.5, -0.0, 1e300, float("nan"), float("inf"), float("-inf"), 10**40,
    [], {}, [[]], {"a": {}}, (1, (2, 3)), {"x\n\"]": [1, "é\u2028", {"k": [None, True, 1]}]},
    {1: 2}, {None: [1]}, [True, 1, 0], DEEP,
]  # fmt: skip


@pytest.mark.parametrize("value", ODD, ids=range(len(ODD)))
def test_odd_values_read_as_json_dumps_writes_them(value: Any) -> None:
    assert dumps(value) == json.dumps(value, indent=2)


@pytest.mark.parametrize("name", ["resnet50", "inception_v3", "vit_b_16"])
def test_a_report_reads_as_json_dumps_writes_it(name: str) -> None:
    data = netcalc.analyze(f"zoo:{name}").to_dict()
    assert dumps(data) == json.dumps(data, indent=2)
    assert dumps([data, data]) == json.dumps([data, data], indent=2)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=30,
)


@given(JSON)
def test_any_json_value_reads_as_json_dumps_writes_it(value: Any) -> None:
    assert dumps(value) == json.dumps(value, indent=2)


@pytest.mark.parametrize("value", ODD, ids=range(len(ODD)))
def test_odd_values_in_parts_read_as_json_dumps_writes_them(value: Any) -> None:
    assert "".join(parts(value)) == json.dumps(value, indent=2)


def test_a_report_with_its_rows_made_as_they_are_written_reads_the_same() -> None:
    report = netcalc.analyze("zoo:resnet18")
    expected = json.dumps(report.to_dict(), indent=2)
    assert "".join(parts(report.to_dict(lazy_rows=True))) == expected
    two = [report.to_dict(lazy_rows=True), report.to_dict(lazy_rows=True)]
    assert "".join(parts(two)) == json.dumps([report.to_dict()] * 2, indent=2)
    assert "".join(parts({"layers": (r for r in [])})) == json.dumps({"layers": []}, indent=2)
