"""The backend's recording of its live activation arrays, and verify's check of it against the
liveness pass: figures derived by hand here."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import netcalc
from netcalc import backend

MLP = {"name": "mlp", "input": [4], "layers": [{"dense": {"units": 8}}, "relu", {"dense": {"units": 2}}]}


def test_live_bytes_by_hand() -> None:
    result = netcalc.run(MLP, batch=2)
    item = 4 * 2  # float32, batch 2
    # dense: the input (kept to the end) and its output; relu: the input, the dense output (freed
    # after the relu, its last reader) and its own; the last dense: input, relu output, its own
    assert [t.live_bytes for t in result.traces] == [(4 + 8) * item, (4 + 8 + 8) * item, (4 + 8 + 2) * item]


def test_a_view_counts_its_base_once() -> None:
    spec = {"name": "v", "input": [2, 3], "layers": ["flatten", {"dense": {"units": 1}}]}
    result = netcalc.run(spec, batch=1)
    assert [t.live_bytes for t in result.traces] == [6 * 4, (6 + 1) * 4]  # flatten: the input's memory


def test_live_bytes_of_arrays() -> None:
    a = np.zeros((4, 5), dtype=np.float32)
    assert backend.live_bytes([a, a[1:], a.reshape(20), np.ones(3)]) == 80 + 24


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_verify_checks_live_memory_against_liveness(dtype: str) -> None:
    v = netcalc.verify("zoo:resnet18", batch=2, dtype=dtype)
    assert v.ok
    assert all(c.live_recorded == c.live_estimate > 0 for c in v.checks)


def test_verify_fails_when_the_backend_holds_more(monkeypatch: Any) -> None:
    real = backend.live_bytes
    monkeypatch.setattr(backend, "live_bytes", lambda arrays: real(arrays) + 1)
    v = netcalc.verify(MLP)
    assert not v.ok
    assert "live memory: liveness 96 bytes, backend 97" in v.failures()[0]
