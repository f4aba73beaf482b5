"""One list per rule: activation names come from the activation classes in the layer list.

The fused `activation:` option, the NumPy backend and the ONNX exporter all dispatch through the
classes, so adding an activation takes exactly: its class, its place in LAYERS, its NumPy op, its
ONNX converter and its case row. The last test adds one that way and runs it everywhere.
"""

from __future__ import annotations

import numpy as np
import pytest
from cases import CASES

import netcalc
import netcalc.layers
from netcalc.backend.ops import OPS, Op
from netcalc.errors import SpecError
from netcalc.layers import ACTIVATIONS, BY_KIND, LAYERS, Activation
from netcalc.layers.activation import activation_kinds


def test_the_activations_are_the_activation_classes_of_the_layer_list():
    assert tuple(cls for cls in LAYERS if issubclass(cls, Activation)) == ACTIVATIONS
    assert activation_kinds() == tuple(cls.kind for cls in ACTIVATIONS)
    assert {"relu", "gelu", "softmax", "hardsigmoid"} <= set(activation_kinds())


@pytest.mark.parametrize("kind", [cls.kind for cls in ACTIVATIONS])
def test_every_activation_fuses_into_dense_and_conv_and_verifies(kind):
    spec = {
        "input": [2, 5, 5],
        "layers": [
            {"conv2d": {"filters": 3, "kernel": 3, "activation": kind}},
            {"flatten": None},
            {"dense": {"units": 4, "activation": kind}},
        ],
    }
    assert netcalc.verify(spec).ok


@pytest.mark.parametrize("kind", ["dense", "flatten", "swish", "RELU"])
def test_a_fused_activation_must_be_an_activation_class(kind):
    with pytest.raises(SpecError, match=rf"activation: input should be 'relu', .* \(got '{kind}'\)"):
        netcalc.load({"input": [4], "layers": [{"dense": {"units": 2, "activation": kind}}]})


def test_the_schema_lists_exactly_the_activation_kinds():
    from netcalc.schema import spec_schema

    text = str(spec_schema())
    assert str(list(activation_kinds())) in text


class Softsign(Activation):
    """x / (1 + |x|)."""

    kind = "softsign"


def _softsign_forward(layer, xs, w, ctx):
    return xs[0] / (1 + np.abs(xs[0]))


def _softsign_converter(b, layer, xs, ins, out, w):
    one = b.const(1.0, "float32")
    return b.op("Div", [xs[0], b.op("Add", [one, b.op("Abs", xs)])])


def test_a_new_activation_needs_exactly_its_class_op_converter_and_case(monkeypatch):
    """Add softsign the documented way; it then works as a layer and fused, in every path."""
    import onnxruntime as ort

    from netcalc.interop import onnx_export

    monkeypatch.setattr(netcalc.layers, "LAYERS", (*LAYERS, Softsign))  # its place in the list
    monkeypatch.setitem(BY_KIND, "softsign", Softsign)
    monkeypatch.setitem(OPS, Softsign, Op(lambda layer, inputs: {}, _softsign_forward))
    monkeypatch.setitem(onnx_export.CONVERTERS, Softsign, _softsign_converter)
    case = {
        "input": [3, 6],
        "layers": [{"softsign": None}, {"dense": {"units": 2, "activation": "softsign"}}],
    }

    assert "softsign" in activation_kinds()
    report = netcalc.analyze(case)
    assert [r.kind for r in report.rows] == ["softsign", "dense"]
    assert report.params == 2 * 6 + 2
    assert netcalc.verify(case).ok
    network = netcalc.load(case)
    result = netcalc.run(network, seed=1)
    model = onnx_export.to_onnx(network, weights=result)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).standard_normal((1, 3, 6)).astype("float32")
    expected = netcalc.run(network, x=x, weights=result.flat_weights()).output
    (got,) = session.run(None, {"input": x})
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_the_guards_name_what_a_new_activation_still_lacks():
    """Without its op, converter or case row, the guard tests' checks name it."""
    from netcalc.interop.onnx_export import CONVERTERS

    layers = (*LAYERS, Softsign)
    covered = {c.kind for c in CASES}
    assert [c.__name__ for c in layers if c not in OPS] == ["Softsign"]
    assert [c.__name__ for c in layers if c not in CONVERTERS] == ["Softsign"]
    assert [c.kind for c in layers if c.kind not in covered] == ["softsign"]
