"""Tied and shared weights (`share: NAME`) through every path: counted once at the owner, MACs and
activations per call; one array in the backend, one initializer in ONNX, one Parameter in PyTorch.
Every figure is derived by hand in the comments."""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from pathlib import Path

import numpy as np
import pytest

import netcalc
from netcalc import backend
from netcalc.analysis.conventions import convention
from netcalc.errors import ShapeError, SpecError
from netcalc.render.report import plain_table

CONVS = """\
input: [3, 8, 8]
layers:
  - conv2d: {filters: 3, kernel: 3, padding: 1, name: conv1}
  - relu
  - conv2d: {filters: 3, kernel: 3, padding: 1, share: conv1, name: conv2}
  - flatten
  - dense: {units: 10, name: fc}
"""
# conv1: 3*3*3*3 + 3 = 84 params; 3*8*8 outputs * 27 = 5,184 MACs; conv2 the same MACs, no params
# fc: 192*10 + 10 = 1,930 params, 1,920 MACs
CONV_PARAMS, CONV_MACS = 84 + 1_930, 2 * 5_184 + 1_920

TIED = """\
name: tiny-lm
input: [6]
layers:
  - embedding: {vocab: 11, dim: 4, name: wte}
  - dense: {units: 11, bias: false, share: wte, name: head}
"""
# wte: 11*4 = 44 params (its (vocab, dim) table); head: weight (units, in) = (11, 4), the table
# itself: no params of its own; 6 tokens * 4 * 11 = 264 MACs

OWN_BIAS = """\
input: [3, 5]
layers:
  - dense: {units: 5, name: a}
  - relu
  - dense: {units: 5, share: a, share_tensors: [weight], name: b}
"""
# a: 5*5 + 5 = 30 params; b: a's weight and a bias of its own: 5 (PyTorch's `b.weight = a.weight`);
# 3 tokens * 5 * 5 = 75 MACs each
OWN_BIAS_PARAMS, OWN_BIAS_MACS = 30 + 5, 2 * 75


def rows(text: str) -> dict[str, netcalc.Row]:
    return {r.name: r for r in netcalc.analyze(netcalc.load(text)).rows}


def test_a_shared_layer_counts_its_parameters_once_and_its_macs_per_call():
    report = netcalc.analyze(netcalc.load(CONVS))
    assert (report.totals.params, report.totals.macs) == (CONV_PARAMS, CONV_MACS)
    conv2 = {r.name: r for r in report.rows}["conv2"]
    assert (conv2.shares, conv2.tensors, conv2.shared_tensors) == ("conv1", {}, {"weight": 81, "bias": 3})
    assert (conv2.counts.params, conv2.counts.macs, conv2.counts.activations) == (0, 5_184, 192)
    assert "conv2d (shares conv1)" in plain_table(report)
    layer = report.to_dict()["layers"][2]
    assert (layer["shares"], layer["shared_tensors"], layer["params"]) == (
        "conv1",
        {"weight": 81, "bias": 3},
        0,
    )
    assert "shares" not in report.to_dict()["layers"][0]


def test_a_dense_head_ties_to_an_embedding_table():
    report = netcalc.analyze(netcalc.load(TIED))
    head = {r.name: r for r in report.rows}["head"]
    assert (report.totals.params, report.totals.macs) == (44, 264)
    assert (head.shares, head.tied, head.shared_tensors) == ("wte", True, {"weight": 44})
    assert "dense (tied to wte)" in plain_table(report)


def test_own_tensors_stay_counted_and_a_chain_shares_the_first_owner():
    spec = """\
input: [5]
layers:
  - dense: {units: 4, bias: false, name: a}
  - dense: {units: 4, from: input, share: a, name: b}
  - dense: {units: 4, from: input, share: b, bias: false, name: c}
"""
    # a: 5*4 = 20; b has a bias of its own: 4 (its weight is a's); c shares through b: a's
    r = rows(spec)
    assert [r[n].counts.params for n in "abc"] == [20, 4, 0]
    assert (r["b"].shares, r["c"].shares) == ("a", "a")


def test_share_tensors_takes_the_weight_and_keeps_the_bias():
    report = netcalc.analyze(netcalc.load(OWN_BIAS))
    assert (report.totals.params, report.totals.macs) == (OWN_BIAS_PARAMS, OWN_BIAS_MACS)
    b = {r.name: r for r in report.rows}["b"]
    assert (b.shares, b.tensors, b.shared_tensors, b.counts.params) == ("a", {"bias": 5}, {"weight": 25}, 5)
    layer = report.to_dict()["layers"][2]
    assert (layer["shares"], layer["shared_tensors"], layer["params"]) == ("a", {"weight": 25}, 5)
    # without share_tensors the bias is a's too: 30 in all
    assert (
        netcalc.analyze(netcalc.load(OWN_BIAS.replace(", share_tensors: [weight]", ""))).totals.params == 30
    )


@pytest.mark.parametrize(
    "text, error, pattern",
    [
        (
            OWN_BIAS.replace("share_tensors: [weight]", "share_tensors: [weight, scale]"),
            ShapeError,
            r"<string>:5: layer 2 'dense' \(b\): share_tensors: scale is not a tensor of both this layer "
            r"\(weight, bias\) and layer 'a' \(weight, bias\) — name some of: weight, bias",
        ),
        (
            OWN_BIAS.replace("share: a, ", ""),
            SpecError,
            r"<string>:5: .*share_tensors: needs share: NAME, the layer whose tensors these are — add share:",
        ),
        (
            OWN_BIAS.replace("[weight]", "[weight, weight]"),
            SpecError,
            r"share_tensors: takes one or more distinct tensor names \(got \['weight', 'weight'\]\)",
        ),
        (
            OWN_BIAS + "  - dense: {units: 5, share: b, name: c}\n",
            SpecError,
            r"<string>:6: layer 3 'dense' \(c\): share names 'b', which takes only some tensors from 'a' "
            r"\(share_tensors\) and owns the rest — share 'a' instead",
        ),
        (
            CONVS.replace(
                "filters: 3, kernel: 3, padding: 1, share", "filters: 4, kernel: 3, padding: 1, share"
            ),
            ShapeError,
            r"<string>:5: layer 2 'conv2d' \(conv2\): share: its weight is \[4, 3, 3, 3\] but that of "
            r"layer 0 'conv2d' \(conv1\) is \[3, 3, 3, 3\] — give the two layers the same sizes",
        ),
        (
            TIED.replace("vocab: 11", "vocab: 12"),
            ShapeError,
            r"layer 1 'dense' \(head\): share: its weight is \[11, 4\] but that of layer 0 'embedding' "
            r"\(wte\) is \[12, 4\]",
        ),
        (
            "input: [5]\nlayers:\n  - dense: {units: 4, share: b, name: a}\n  - dense: {units: 4, name: b}\n",
            SpecError,
            r"<string>:3: layer 0 'dense' \(a\): share names 'b', which comes later — a layer shares the "
            "parameters of an earlier layer",
        ),
        (
            "input: [5]\nlayers:\n  - dense: {units: 4, name: ab}\n  - dense: {units: 4, share: abc}\n",
            SpecError,
            "share names unknown layer 'abc' — did you mean 'ab'?",
        ),
        (
            "input: [5]\nlayers:\n  - relu: {name: r}\n  - relu: {share: r}\n",
            ShapeError,
            "share: 'relu' layers cannot share parameters",
        ),
        (
            "input: [5]\nblocks:\n  b:\n    layers: [{dense: {units: 5}}]\nlayers:\n  - b\n"
            "  - dense: {units: 5, share: b}\n",
            SpecError,
            "share names block 'b' — share takes one layer, like share: block.layer",
        ),
    ],
)
def test_errors_name_both_layers_and_shapes(text, error, pattern):
    with pytest.raises(error, match=pattern):
        netcalc.analyze(netcalc.load(text))


def test_a_block_layer_shares_by_its_path_across_repeats():
    spec = """\
input: [4]
blocks:
  mlp:
    layers:
      - dense: {units: 4, name: fc}
layers:
  - mlp: {repeat: 3}
  - dense: {units: 4, share: mlp.1.fc, name: again}
"""
    # three repeats of 4*4 + 4 = 20 params each, and `again` reuses the first one's: 60 in all
    report = netcalc.analyze(netcalc.load(spec))
    assert report.totals.params == 60
    assert {r.name: r for r in report.rows}["again"].shares == "mlp.1.fc"


# --- backend -------------------------------------------------------------------------------------


def test_the_backend_uses_one_array_twice():
    network = netcalc.load(CONVS)
    result = backend.run(network, batch=2)
    assert result.weights["conv2"]["weight"] is result.weights["conv1"]["weight"]
    assert sorted(result.flat_weights()) == ["conv1/bias", "conv1/weight", "fc/bias", "fc/weight"]
    again = backend.run(network, x=np.ones((1, 3, 8, 8)), weights=result.flat_weights())
    assert again.weights["conv2"]["bias"] is again.weights["conv1"]["bias"]
    own = backend.run(netcalc.load(OWN_BIAS), seed=2)
    assert own.weights["b"]["weight"] is own.weights["a"]["weight"]
    assert own.weights["b"]["bias"] is not own.weights["a"]["bias"]
    assert sorted(own.flat_weights()) == ["a/bias", "a/weight", "b/bias"]
    assert netcalc.verify(netcalc.load(OWN_BIAS)).ok
    assert netcalc.verify(network).ok
    tied = netcalc.load(TIED)
    run = backend.run(tied, x=np.array([[0, 1, 2, 3, 4, 10]]))
    table = run.weights["wte"]["weight"]
    # logits = table[ids] @ table.T, by hand
    np.testing.assert_allclose(run.output[0], table[[0, 1, 2, 3, 4, 10]] @ table.T, rtol=1e-6)
    assert netcalc.verify(tied).ok


# --- ONNX ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [CONVS, TIED, OWN_BIAS])
def test_onnx_has_one_initializer_and_matches_the_backend(text):
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from netcalc.interop.onnx_export import to_onnx

    network = netcalc.load(text)
    x = backend.random_inputs(network, 2, seed=3)[-1]
    result = backend.run(network, x=x)
    model = to_onnx(network, weights=result)
    onnx.checker.check_model(model, full_check=True)
    elements = sum(int(np.prod(t.dims)) for t in model.graph.initializer)
    assert elements == netcalc.analyze(network).totals.params  # one initializer, read twice
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"input": x})[0], result.output, atol=1e-5)


def test_onnx_import_finds_the_shared_initializer(tmp_path: Path):
    pytest.importorskip("onnx")
    from netcalc.interop.onnx_export import to_onnx

    path = tmp_path / "convs.onnx"
    path.write_bytes(to_onnx(netcalc.load(CONVS)).SerializeToString())
    report = netcalc.analyze(netcalc.load(str(path)))
    assert {r.name: r for r in report.rows}["conv2"].shares == "conv1"
    assert (report.totals.params, report.totals.macs) == (CONV_PARAMS, CONV_MACS)
    # a weight shared and a bias of its own: one initializer read by both, and b's own bias
    path.write_bytes(to_onnx(netcalc.load(OWN_BIAS)).SerializeToString())
    network = netcalc.load(str(path))
    assert network.spec.layers[2]["dense"]["share_tensors"] == ["weight"]
    report = netcalc.analyze(network)
    assert (report.totals.params, report.totals.macs) == (OWN_BIAS_PARAMS, OWN_BIAS_MACS)


# --- PyTorch -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [CONVS, TIED, OWN_BIAS])
def test_torch_reuses_one_parameter_and_matches_the_backend(text):
    torch = pytest.importorskip("torch")
    from netcalc.interop.torch_code import module_paths, to_torch, torch_source

    network = netcalc.load(text)
    source = torch_source(network)
    module = to_torch(network).double().eval()
    if text is CONVS:
        assert "self.conv2.weight = self.conv1.weight  # share: conv1" in source
        assert module.conv2.weight is module.conv1.weight
    elif text is TIED:
        assert "self.head.weight = self.wte.weight  # share: wte" in source
        assert module.head.weight is module.wte.weight
    else:
        assert "self.b.weight = self.a.weight  # share: a" in source
        assert "self.b.bias =" not in source
        assert module.b.weight is module.a.weight and module.b.bias is not module.a.bias
    assert sum(p.numel() for p in module.parameters()) == netcalc.analyze(network).totals.params
    result = backend.run(network, seed=1, batch=2, dtype="float64")
    paths = module_paths(network)
    state = {
        f"{paths[layer]}.{name}": torch.from_numpy(np.ascontiguousarray(array))
        for layer, tensors in result.weights.items()
        for name, array in tensors.items()
    }
    module.load_state_dict(state)
    x = backend.random_inputs(network, 2, seed=5, dtype="float64")[-1]
    expected = backend.run(network, x=x, weights=result.flat_weights(), dtype="float64").output
    with torch.no_grad():
        got = module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-10)


def test_conventions_count_a_tied_parameter_as_the_tools_do():
    torch = pytest.importorskip("torch")
    torchinfo = pytest.importorskip("torchinfo")
    thop = pytest.importorskip("thop")
    ptflops = pytest.importorskip("ptflops")
    from netcalc.interop.torch_code import to_torch

    network = netcalc.load(CONVS)
    report = netcalc.analyze(network)
    with torch.device("meta"):
        module = to_torch(network).eval()
    stats = torchinfo.summary(module, input_size=(1, 3, 8, 8), device="meta", verbose=0)
    ours = convention("torchinfo", report).figures
    # torchinfo counts the tied Parameter on both modules: 84 + 84 + 1,930 = 2,098
    assert ours["total_params"] == stats.total_params == 2_098
    assert ours["total_mult_adds"] == stats.total_mult_adds
    assert ours["params_size_bytes"] == stats.total_param_bytes
    cpu = module.to_empty(device="cpu").eval()
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            macs, params = thop.profile(cpu, inputs=(torch.empty(1, 3, 8, 8),), verbose=False)
            pt_macs, pt_params = ptflops.get_model_complexity_info(
                cpu, (3, 8, 8), as_strings=False, print_per_layer_stat=False, verbose=False
            )
    finally:
        logging.disable(logging.NOTSET)
    assert convention("thop", report).figures == {"macs": int(macs), "params": int(params)}
    assert convention("ptflops", report).figures == {"macs": pt_macs, "params": pt_params}


def test_torchinfo_counts_a_shared_weight_on_both_modules_and_each_bias():
    torch = pytest.importorskip("torch")
    torchinfo = pytest.importorskip("torchinfo")
    from netcalc.interop.torch_code import to_torch

    network = netcalc.load(OWN_BIAS)
    with torch.device("meta"):
        module = to_torch(network).eval()
    assert sum(p.numel() for p in module.parameters()) == OWN_BIAS_PARAMS  # a Parameter once
    stats = torchinfo.summary(module, input_size=(1, 3, 5), device="meta", verbose=0)
    ours = convention("torchinfo", netcalc.analyze(network)).figures
    # torchinfo: a's 25 + 5, and b's module holds the tied weight 25 and its own bias 5: 60
    assert ours["total_params"] == stats.total_params == 30 + 30
    assert ours["total_mult_adds"] == stats.total_mult_adds


def test_readme_example_is_real_output():
    import re

    from typer.testing import CliRunner

    from netcalc.cli import app

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    spec = re.search(r"```yaml\n# tiny-lm.yaml[^\n]*\n(.*?)```", readme, flags=re.S)
    quoted = re.search(r"```text\n\$ cat tiny-lm.yaml \| netcalc count -\n(.*?)```", readme, flags=re.S)
    assert spec and quoted
    result = CliRunner().invoke(app, ["count", "-"], input=spec.group(1))
    assert result.exit_code == 0 and result.output == quoted.group(1)
    assert "dense (tied to wte)" in result.output and "44" in result.output  # 11 * 4, once
