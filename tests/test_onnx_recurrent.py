"""ONNX import of LSTM, GRU and RNN nodes (netcalc/interop/onnx_recurrent.py).

netcalc's own export of every form of its recurrent layers reads back as the same layer; PyTorch's
exports are fixtures of tests/test_onnx_import.py; recurrent nodes netcalc cannot express are
one-line errors naming the node and the fix.
"""

from __future__ import annotations

import pytest

import netcalc
from netcalc.report import analyze

onnx = pytest.importorskip("onnx")
from test_onnx_import import stripped_export  # noqa: E402  (needs onnx)

FORMS = [
    {"lstm": {"units": 6, "bidirectional": True, "layers": 2, "return_sequences": False}},
    {"lstm": {"units": 6, "bias": "single"}},
    {"gru": {"units": 6, "bias": False, "layers": 3}},
    {"rnn": {"units": 6, "bidirectional": True, "nonlinearity": "relu"}},
    {"rnn": {"units": 6, "return_sequences": False}},
]


@pytest.mark.parametrize("layer", FORMS, ids=lambda form: str(form).replace(" ", ""))
def test_netcalc_exports_read_back_as_the_same_layer(layer, tmp_path):
    """One ONNX node per stacked layer, the layout ops around them, Y_h for the final state: one layer."""
    network = netcalc.load({"name": "r", "input": [7, 5], "layers": [layer, {"dense": {"units": 3}}]})
    back = netcalc.load(str(stripped_export(network, tmp_path / "r.onnx")))
    ((kind, args),) = layer.items()
    assert back.spec.layers[0] == {kind: {**args, "name": f"{kind}_1", "from": "input"}}
    assert analyze(back).to_dict()["totals"] == analyze(network).to_dict()["totals"]
