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
    # dense: the input (kept to the end) and its output; relu: the input and the dense output,
    # which it writes over (its last reader); the last dense: input, relu output, its own
    assert [t.live_bytes for t in result.traces] == [(4 + 8) * item, (4 + 8) * item, (4 + 8 + 2) * item]


def test_a_layer_writes_over_its_input_only_when_nothing_else_needs_it() -> None:
    spec = {
        "name": "skips",
        "input": [2, 4],
        "layers": [
            "relu",  # 0: reads the caller's array: never written
            {"dense": {"units": 4, "name": "a"}},  # 1
            {"reshape": {"shape": [2, 4], "name": "v"}},  # 2: a view of a
            {"relu": {"from": "a"}},  # 3: a's last reader, but the view v still needs a's memory
            {"add": {"from": [-1, "v"]}},  # 4: writes over the relu's output
            {"relu": {"name": "r"}},  # 5: writes over the sum
            {"add": {"from": ["r", "a"]}},  # 6: writes over r, the output
        ],
    }
    network = netcalc.load(spec)
    assert backend.in_place(network) == {4, 5, 6}
    x = np.random.default_rng(1).standard_normal((3, 2, 4)).astype(np.float32)
    given = x.copy()
    result = netcalc.run(network, x=x)
    assert np.array_equal(x, given)
    w = result.weights["a"]
    a = np.maximum(x, 0) @ w["weight"].T + w["bias"]
    assert np.allclose(result.output, np.maximum(np.maximum(a, 0) + a, 0) + a, rtol=1e-6, atol=1e-6)
    # elements per sample, 8 each: the input (kept to the end) and relu 0; a (relu 0 freed after
    # it); v holds a's memory; relu 3's own array, which 4, 5 and 6 write over; a lives to 6
    alive = [8 + 8, 8 + 8 + 8, 8 + 8, 8 + 8 + 8, 8 + 8 + 8, 8 + 8 + 8, 8 + 8 + 8]
    assert [t.live_bytes for t in result.traces] == [n * 4 * 3 for n in alive]  # float32, batch 3
    assert netcalc.verify(network, batch=3).ok


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


# --- token ids are int64: 8 bytes each whatever the spec's dtype ---------------------------------

EMBED = {"embedding": {"vocab": 100, "dim": 2}}
IDS = {"name": "ids", "input": [10], "layers": [EMBED, {"dense": {"units": 1}}]}


def test_count_peak_holds_token_ids_at_8_bytes() -> None:
    report = netcalc.analyze(IDS, batch=3)
    weights = (100 * 2 + (2 + 1)) * 4
    # embedding: the 10 ids (int64) and its 10x2 output; dense: that output and its 10x1 (ids freed)
    at_embedding, at_dense = 10 * 8 + 20 * 4, 20 * 4 + 10 * 4
    assert report.peak_bytes == weights + 3 * max(at_embedding, at_dense)
    assert report.peak_layer == 0
    assert report.memory.input == 3 * 10 * 8


def test_memory_guard_holds_token_ids_at_8_bytes() -> None:
    from netcalc.verification import OVERHEAD_BYTES, OVERHEAD_PER_LAYER, estimate_peak_bytes

    network = netcalc.load({"name": "ids", "input": [10], "layers": [EMBED]})
    fixed = OVERHEAD_BYTES + OVERHEAD_PER_LAYER
    # batch 100, float32, per sample 10 ids x 8 and 20 outputs x 4 = 160 bytes. Drawing the table
    # (200 weights and its temporary, beside the ids): 400 x 4 + 100 x 80 = 9,600; running the
    # lookup: 200 x 4 + 100 x 160 = 16,800, the larger
    assert estimate_peak_bytes(network, 100, 4) - fixed == 200 * 4 + 100 * (10 * 8 + 20 * 4)


def test_verify_records_token_ids_at_8_bytes() -> None:
    v = netcalc.verify(IDS, batch=2)
    assert v.ok
    # embedding: ids (kept to the end) and its output; dense: ids, that output, its own
    assert [c.live_estimate for c in v.checks] == [2 * (80 + 80), 2 * (80 + 80 + 40)]
