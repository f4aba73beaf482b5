"""Several named inputs (`inputs:`), declared outputs (`outputs:`) and frozen parameters
(`trainable: false`), through every path: spec, engine, report, lint, render, backend, ONNX,
PyTorch code, the other tools' conventions and ONNX import.

Every figure below is derived by hand in the comments; the backend, onnxruntime and PyTorch are
the independent witnesses.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import netcalc
from netcalc import backend
from netcalc.analysis.conventions import convention
from netcalc.cli import app
from netcalc.errors import SpecError, UsageError
from netcalc.render.report import csv_text, markdown, plain_table

TWO = """\
name: two
inputs: {tokens: [4, 8], image: [3, 6, 6]}
outputs: [head, aux]
layers:
  - dense: {units: 5, from: tokens, name: proj}
  - conv2d: {filters: 2, kernel: 3, from: image, trainable: false, name: conv}
  - flatten
  - dense: {units: 3, name: aux}
  - dense: {units: 7, from: proj, name: head}
"""
# proj: dense 8 -> 5 on 4 tokens: 8*5 + 5 = 45 params, 4*8*5 = 160 MACs, output 4x5
# conv: 3 -> 2 channels, 3x3, on 6x6: 2*3*3*3 + 2 = 56 params (frozen), output 2x4x4,
#       MACs 2*4*4 * 3*3*3 = 864
# aux:  dense 32 -> 3: 32*3 + 3 = 99 params, 96 MACs
# head: dense 5 -> 7 on 4 tokens: 5*7 + 7 = 42 params, 4*5*7 = 140 MACs, output 4x7
PARAMS, FROZEN, MACS = 45 + 56 + 99 + 42, 56, 160 + 864 + 96 + 140


def two() -> netcalc.Network:
    return netcalc.load(TWO)


# --- spec and engine -----------------------------------------------------------------------------


def test_named_inputs_outputs_and_frozen_counts():
    network = two()
    assert network.inputs == {"tokens": (4, 8), "image": (3, 6, 6)}
    assert network.input == (4, 8)  # the first input
    report = netcalc.analyze(network)
    rows = {r.name: r for r in report.rows}
    assert rows["proj"].inputs == ("tokens",) and rows["conv"].inputs == ("image",)
    assert [r.counts.params for r in report.rows] == [45, 56, 0, 99, 42]
    assert rows["conv"].counts.frozen == 56 and not rows["conv"].trainable
    assert (report.totals.params, report.totals.frozen, report.totals.macs) == (PARAMS, FROZEN, MACS)
    assert report.totals.trainable == 186 and report.totals.non_trainable == 56
    assert report.outputs == (("head", (4, 7)), ("aux", (3,)))
    assert report.output_shape == (4, 7)  # the first declared output
    # input bytes: (4*8 + 3*6*6) float32 = 140 * 4
    assert report.memory.input == 560


def test_json_names_inputs_and_outputs_and_splits_trainable():
    data = netcalc.analyze(two()).to_dict()
    assert data["inputs"] == [{"name": "tokens", "shape": [4, 8]}, {"name": "image", "shape": [3, 6, 6]}]
    assert data["outputs"] == [{"name": "head", "shape": [4, 7]}, {"name": "aux", "shape": [3]}]
    totals = data["totals"]
    assert (totals["params"], totals["trainable_params"], totals["non_trainable_params"]) == (242, 186, 56)
    conv = next(layer for layer in data["layers"] if layer["name"] == "conv")
    assert conv["non_trainable_params"] == 56
    # a one-input, one-output spec keeps 0.1's keys
    plain = netcalc.analyze(netcalc.load("input: [3]\nlayers: [{dense: {units: 2}}]\n")).to_dict()
    assert "inputs" not in plain and "outputs" not in plain


def test_liveness_keeps_every_output():
    # sizes: tokens 32, image 108, proj 20, conv 32, flatten 32, aux 3, head 28
    # proj: 140 + 20 = 160 (tokens freed); conv: 128 + 32 = 160 (image freed) -> 52;
    # flatten: 52 + 32 = 84 -> 52; aux: 52 + 3 = 55 -> 23 (aux is an output: kept);
    # head: 23 + 28 = 51
    live = netcalc.analyze(two()).liveness
    assert live is not None and live.live == (160, 160, 84, 55, 51)


def test_one_input_spec_still_means_input():
    text = "input: [3]\nlayers: [{dense: {units: 2, name: a}}, {dense: {units: 1, from: input}}]\n"
    network = netcalc.load(text)
    assert network.inputs == {"input": (3,)}
    assert [n.inputs for n in network.nodes] == [(-1,), (-1,)]


def test_a_block_input_is_its_own_input_with_named_inputs():
    spec = """\
inputs: {a: [3], b: [6]}
blocks:
  twice:
    layers:
      - dense: {units: 3, name: d}
      - add: {from: [d, input]}
layers:
  - dense: {units: 3, from: b, name: pb}
  - twice: {from: a}
  - add: {from: [-1, pb]}
"""
    report = netcalc.analyze(netcalc.load(spec))
    rows = {r.name: r for r in report.rows}
    # the block's `input` is its own input, here the network's input `a`; `from: b` names the other
    assert rows["pb"].inputs == ("b",)
    assert rows["twice.d"].inputs == ("a",)
    assert rows["twice.add_1"].inputs == ("twice.d", "a")
    assert rows["add_1"].inputs == ("twice.add_1", "pb")


@pytest.mark.parametrize(
    "text, pattern",
    [
        (
            "input: [3]\ninputs: {a: [3]}\nlayers: [relu]\n",
            r"<string>:2: inputs: give input: \(the one input\) or inputs: \(named inputs\), not both",
        ),
        ("layers: [relu]\n", "<string>: missing 'input' — give the input shape"),
        ("inputs: {a b: [3]}\nlayers: [relu]\n", "<string>:1: inputs: input name 'a b' must be a word"),
        ("inputs: {a: [0]}\nlayers: [relu]\n", r"<string>:1: inputs\.a\.0: a list of positive sizes"),
        (
            "inputs: {a: [3]}\noutputs: [relu_2]\nlayers: [relu]\n",
            "<string>:2: outputs: 'relu_2' names no layer — did you mean 'relu_1'?",
        ),
        (
            "inputs: {a: [3]}\noutputs: [a]\nlayers: [relu]\n",
            "<string>:2: outputs: 'a' names an input, not a layer",
        ),
        (
            "input: [3]\noutputs: [r, r]\nlayers: [{relu: {name: r}}]\n",
            "<string>:2: outputs: 'r' is the same layer as 'r' — list it once",
        ),
        (
            "inputs: {a: [3]}\nlayers: [{relu: {from: input}}]\n",
            "<string>:2: layer 0 'relu' .relu_1.: from input: this network has named inputs .a. — take one",
        ),
        (
            "inputs: {a: [3]}\nlayers: [{relu: {name: a}}]\n",
            "<string>:2: 'relu': name 'a' is the name of an input — rename the layer",
        ),
        (
            "input: [3]\noutputs: [t]\n"
            "layers: [{relu: {name: t, training_only: true}}, {relu: {from: input}}]\n",
            "the network's output, layer 0 'relu' .t., is training_only — an output must run in inference",
        ),
        ("input: [3]\nlayers: [{relu: {trainable: 0}}]\n", "trainable"),
    ],
)
def test_errors_name_the_line_and_the_fix(text, pattern):
    with pytest.raises(SpecError, match=pattern):
        netcalc.load(text)


def test_block_use_trainable_must_be_a_flag():
    spec = "input: [3]\nblocks:\n  b:\n    layers: [{dense: {units: 2}}]\nlayers: [{b: {trainable: maybe}}]\n"
    message = r"<string>:5: block 'b' \(b\): trainable is true or false \(got 'maybe'\)"
    with pytest.raises(SpecError, match=message):
        netcalc.load(spec)


def test_input_shape_option_refuses_named_inputs():
    message = "this spec has named inputs .tokens, image. — size them through its args"
    with pytest.raises(UsageError, match=message):
        netcalc.load(TWO, input="3x4")


def test_named_inputs_take_arguments():
    spec = "args: {n: 4}\ninputs: {tokens: [$n, 8]}\nlayers: [{dense: {units: 2}}]\n"
    assert netcalc.load(spec).inputs == {"tokens": (4, 8)}
    assert netcalc.load(spec, args={"n": 16}).inputs == {"tokens": (16, 8)}
    with pytest.raises(UsageError, match=r"<string>:2: inputs\.tokens \[\$n, 8\] is \[0, 8\] with n=0"):
        netcalc.load(spec, args={"n": 0})


# --- frozen parameters ---------------------------------------------------------------------------


def test_trainable_false_on_a_block_use_freezes_every_layer_inside():
    spec = """\
input: [3, 8, 8]
blocks:
  stem:
    layers:
      - conv2d: {filters: 4, kernel: 3, bias: false}
      - batchnorm
      - relu
layers:
  - stem: {trainable: false}
  - flatten
  - dense: {units: 2}
"""
    report = netcalc.analyze(netcalc.load(spec))
    # conv 4*3*3*3 = 108 (frozen); batchnorm 2*4 = 8 params (frozen) + 8 statistics;
    # dense 4*6*6 = 144 -> 2: 144*2 + 2 = 290
    t = report.totals
    assert (t.params, t.frozen, t.state) == (108 + 8 + 290, 116, 8)
    assert (t.trainable, t.non_trainable) == (290, 116 + 8)
    keras = convention("keras", report).figures
    assert keras == {"total_params": 406 + 8, "trainable_params": 290, "non_trainable_params": 124}
    assert [r.trainable for r in report.rows] == [False, False, False, True, True]
    text = plain_table(report)
    assert "conv2d (frozen)" in text
    assert "Params: 406 (290 trainable, 116 frozen), 8 non-trainable state (Keras: 290 trainable, " in text


# --- lint ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "warning"),
    [
        (
            "inputs: {x: [4], input: [4]}\nlayers:\n  - dense: {units: 4}\n  - add: {from: [-1, input]}\n",
            "input 'input' is one of several: inside a block, from: input means the block's own input — "
            "rename it after what it holds (image, tokens)",
        ),
        (
            "inputs: {dense_1: [4], y: [4]}\nlayers:\n  - dense: {units: 4, from: y}\n"
            "  - add: {from: [dense_1, -1]}\n",
            "input 'dense_1' has the name netcalc gives an unnamed 'dense' layer, which is then numbered "
            "on; from: dense_1 reads the input — rename the input",
        ),
        (
            "inputs: {q: [5, 8], m: [7, 8]}\nlayers:\n"
            "  - attention: {heads: 2, causal: true, from: [q, m]}\n",
            "layer 0 'attention' (attention_1) is causal over a memory of 7 tokens for 5 queries — "
            "cross-attention reads its whole memory: remove causal",
        ),
    ],
    ids=["input-named-input", "input-named-like-a-layer", "causal-cross-attention"],
)
def test_lint_warns_of_ambiguous_names_and_causal_cross_attention(text, warning):
    assert netcalc.analyze(netcalc.load(text)).warnings == (warning,)
    # the same without the ambiguity: no warning
    fixed = text.replace("input: [4]", "image: [4]").replace("input]", "image]").replace("dense_1", "extra")
    fixed = fixed.replace("m: [7, 8]", "m: [5, 8]")
    assert netcalc.analyze(netcalc.load(fixed)).warnings == ()


def test_unused_output_warning_respects_outputs():
    assert netcalc.analyze(two()).warnings == ()
    one = TWO.replace("outputs: [head, aux]", "outputs: [head]")
    warnings = netcalc.analyze(netcalc.load(one)).warnings
    assert warnings == (
        "layer 3 'dense' (aux): its output is never used; its parameters and MACs are still counted "
        "— list it under outputs: or connect it with from:",
    )
    unused_input = TWO.replace("from: image, ", "from: tokens, ")
    unused_input = unused_input.replace("conv2d: {filters: 2", "dense: {units: 2").replace(", kernel: 3", "")
    assert (
        "input 'image' is never used — take it with from: image or remove it"
        in netcalc.analyze(netcalc.load(unused_input)).warnings
    )


# --- render --------------------------------------------------------------------------------------


def test_every_format_shows_the_inputs_and_outputs():
    report = netcalc.analyze(two())
    text = plain_table(report)
    assert text.startswith("two: tokens 4x8, image 3x6x6 -> head 4x7, aux 3\n")
    assert "Outputs: head 4x7, aux 3" in text
    assert "Outputs: head 4x7, aux 3" in markdown(report)
    assert csv_text(report).splitlines()[2].split(",")[8] == "56"  # conv's non-trainable params
    from netcalc.render.html import page

    html = page(report, TWO, None)
    assert "input tokens 4x8, image 3x6x6 → output head 4x7, aux 3" in html
    result = CliRunner().invoke(app, ["count", "-", "--format", "json"], input=TWO)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["outputs"][1] == {"name": "aux", "shape": [3]}


# --- backend -------------------------------------------------------------------------------------


def test_backend_runs_every_input_and_returns_every_output():
    network = two()
    result = backend.run(network, batch=2)
    assert {k: v.shape for k, v in result.outputs.items()} == {"head": (2, 4, 7), "aux": (2, 3)}
    assert result.output is result.outputs["head"]
    assert netcalc.verify(network).ok
    x = {"tokens": np.ones((3, 4, 8)), "image": np.ones((3, 3, 6, 6))}
    given = backend.run(network, x=x)
    # head = (ones @ Wp + bp) @ Wh + bh for every token, by hand with the run's own weights
    w = given.weights
    proj = np.ones((3, 4, 8), np.float32) @ w["proj"]["weight"].T + w["proj"]["bias"]
    head = proj @ w["head"]["weight"].T + w["head"]["bias"]
    np.testing.assert_allclose(given.outputs["head"], head, rtol=1e-5)
    message = "no array for input 'image' — give one array per input: tokens, image"
    with pytest.raises(SpecError, match=message):
        backend.run(network, x={"tokens": x["tokens"]})
    with pytest.raises(SpecError, match=r"input array has shape \[3, 4, 9\] .* fix input 'tokens'"):
        backend.run(network, x={**x, "tokens": np.ones((3, 4, 9))})


# --- ONNX ----------------------------------------------------------------------------------------


def test_onnx_has_every_input_and_output_and_matches_the_backend():
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from netcalc.interop.onnx_export import to_onnx

    network = two()
    rng = np.random.default_rng(3)
    x = {"tokens": rng.standard_normal((2, 4, 8)), "image": rng.standard_normal((2, 3, 6, 6))}
    x = {k: v.astype("float32") for k, v in x.items()}
    result = backend.run(network, x=x)
    model = to_onnx(network, weights=result)
    onnx.checker.check_model(model, full_check=True)
    assert [i.name for i in model.graph.input] == ["tokens", "image"]
    assert [o.name for o in model.graph.output] == ["head", "aux"]
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    head, aux = session.run(None, x)
    np.testing.assert_allclose(head, result.outputs["head"], atol=1e-5)
    np.testing.assert_allclose(aux, result.outputs["aux"], atol=1e-5)


def test_onnx_import_round_trip_keeps_inputs_and_outputs(tmp_path: Path):
    pytest.importorskip("onnx")
    from netcalc.interop.onnx_export import to_onnx

    path = tmp_path / "two.onnx"
    path.write_bytes(to_onnx(two()).SerializeToString())
    imported = netcalc.load(str(path))
    assert imported.inputs == {"tokens": (4, 8), "image": (3, 6, 6)}
    report = netcalc.analyze(imported)
    assert report.outputs == (("head", (4, 7)), ("aux", (3,)))
    assert report.totals.params == PARAMS and report.totals.macs == MACS
    assert report.totals.frozen == 0  # ONNX has no notion of frozen weights


# --- PyTorch -------------------------------------------------------------------------------------


def test_torch_module_takes_every_input_returns_every_output_and_freezes():
    torch = pytest.importorskip("torch")
    from netcalc.interop.torch_code import module_paths, to_torch, torch_source

    network = two()
    source = torch_source(network)
    assert "def forward(self, tokens, image):" in source
    assert "return head, aux" in source
    assert "self.conv = nn.Conv2d(3, 2, (3, 3)).requires_grad_(False)" in source
    module = to_torch(network).double().eval()
    frozen = sum(p.numel() for p in module.parameters() if not p.requires_grad)
    assert (sum(p.numel() for p in module.parameters()), frozen) == (PARAMS, FROZEN)
    result = backend.run(network, seed=1, batch=2, dtype="float64")
    paths = module_paths(network)
    state = {
        f"{paths[layer]}.{name}": torch.from_numpy(np.ascontiguousarray(array))
        for layer, tensors in result.weights.items()
        for name, array in tensors.items()
    }
    module.load_state_dict(state)
    x = {
        "tokens": np.random.default_rng(0).standard_normal((2, 4, 8)),
        "image": np.random.default_rng(1).standard_normal((2, 3, 6, 6)),
    }
    expected = backend.run(network, x=x, weights=result.flat_weights(), dtype="float64").outputs
    with torch.no_grad():
        head, aux = module(torch.from_numpy(x["tokens"]), torch.from_numpy(x["image"]))
    np.testing.assert_allclose(head.numpy(), expected["head"], atol=1e-10)
    np.testing.assert_allclose(aux.numpy(), expected["aux"], atol=1e-10)


def test_conventions_count_frozen_parameters_as_the_tools_do():
    torch = pytest.importorskip("torch")
    torchinfo = pytest.importorskip("torchinfo")
    ptflops = pytest.importorskip("ptflops")
    thop = pytest.importorskip("thop")
    import contextlib
    import io
    import logging

    from netcalc.interop.torch_code import to_torch

    network = two()
    report = netcalc.analyze(network)
    with torch.device("meta"):
        module = to_torch(network).eval()
    stats = torchinfo.summary(module, input_size=[(1, 4, 8), (1, 3, 6, 6)], device="meta", verbose=0)
    ours = convention("torchinfo", report).figures
    assert ours["total_params"] == stats.total_params == PARAMS
    assert ours["trainable_params"] == stats.trainable_params == PARAMS - FROZEN
    assert ours["non_trainable_params"] == FROZEN
    assert ours["input_size_bytes"] == stats.total_input
    assert ours["total_mult_adds"] == stats.total_mult_adds

    cpu = module.to_empty(device="cpu").eval()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        _, params = ptflops.get_model_complexity_info(
            cpu,
            (4, 8),
            input_constructor=lambda _: {"tokens": torch.empty(1, 4, 8), "image": torch.empty(1, 3, 6, 6)},
            as_strings=False,
            print_per_layer_stat=False,
            verbose=False,
        )
    assert convention("ptflops", report).figures["params"] == params == PARAMS - FROZEN  # requires_grad only
    logging.disable(logging.WARNING)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            inputs = (torch.empty(1, 4, 8), torch.empty(1, 3, 6, 6))
            _, params = thop.profile(cpu, inputs=inputs, verbose=False)
    finally:
        logging.disable(logging.NOTSET)
    assert convention("thop", report).figures["params"] == int(params) == PARAMS  # every hooked one


def test_torch_cli_writes_the_tuple(tmp_path: Path):
    pytest.importorskip("torch")
    out = tmp_path / "two.py"
    result = CliRunner().invoke(app, ["torch", "-", "-o", str(out)], input=TWO)
    assert result.exit_code == 0, result.output
    assert re.search(r"return head, aux\n", out.read_text())


def test_readme_example_is_real_output():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    spec = re.search(r"```yaml\n# captioned.yaml[^\n]*\n(.*?)```", readme, flags=re.S)
    quoted = re.search(r"```text\n\$ cat captioned.yaml \| netcalc count -\n(.*?)```", readme, flags=re.S)
    assert spec and quoted
    result = CliRunner().invoke(app, ["count", "-"], input=spec.group(1))
    assert result.exit_code == 0, result.output
    assert result.output == quoted.group(1)
    # by hand: backbone 8*3*3*3 + 8 = 224 (frozen), 15x15 outputs (32 - 3) // 2 + 1;
    # image_vector 8*32 + 32 = 288; text 512*32 + 32 = 16,416; caption 32*100 + 100 = 3,300;
    # score 32 + 1 = 33
    assert "Params: 20,261 (20,037 trainable, 224 frozen)" in result.output
    assert 224 + 288 + 16_416 + 3_300 + 33 == 20_261


def test_the_diagram_draws_one_box_per_input():
    from netcalc.explore.diagram import diagram
    from netcalc.render.diagram import lines

    d = diagram(netcalc.analyze(two()))
    assert [(b.id, b.kind) for b in d.boxes[:2]] == [("tokens", "input"), ("image", "input")]
    assert lines(d.boxes[1], "params") == ["image", "3x6x6"]
    assert {(e.source, e.target) for e in d.edges} >= {("tokens", "proj"), ("image", "conv")}


# A frozen stem before a trainable head, input 1x8x8, batch 2, fp32: no gradient reaches the stem
FROZEN_STEM = {
    "input": [1, 8, 8],
    "layers": [
        {"conv2d": {"filters": 4, "kernel": 3, "padding": 1, "bias": False, "trainable": False}},
        {"batchnorm": {"trainable": False}},
        "relu",
        {"maxpool2d": {"size": 2}},
        "flatten",
        {"dense": {"units": 10}},  # the only layer with a gradient: keeps its input, 64 per sample
    ],
}


def test_training_memory_of_frozen_layers():
    from netcalc import engine
    from netcalc.analysis.training import training_memory

    network = netcalc.load(FROZEN_STEM)
    t = training_memory(network, engine.rows(network), batch=2)
    trainable, frozen, state = 64 * 10 + 10, 4 * 9 + 2 * 4, 2 * 4
    assert t.weights == (trainable + frozen + state) * 4
    assert t.gradients == trainable * 4  # frozen parameters have none
    assert t.optimizer_state == trainable * 4 * 2  # nor Adam's two buffers
    assert t.saved == t.activations == 64 * 2 * 4  # the stem keeps nothing: no gradient flows there
    torch = pytest.importorskip("torch")
    module = netcalc.to_torch(network).train()
    params = {p.untyped_storage().data_ptr() for p in module.parameters()}
    seen: set[tuple[int, int, int]] = set()

    def pack(tensor):
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in params:
            seen.add((storage.data_ptr(), tensor.storage_offset(), tensor.numel() * tensor.element_size()))
        return tensor

    x = torch.randn(2, 1, 8, 8)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        module(x)
    assert sum(size for _, _, size in seen) == t.saved  # PyTorch keeps the same


def test_verify_with_named_inputs_declared_outputs_and_sharing():
    """verify's receptive-field witness runs each layer's skeleton on the first input (the others
    zeros); the skeleton's output is that layer, whatever the spec declares."""
    spec = """\
inputs: {image: [3, 16, 16], extra: [4]}
outputs: [a, b, d]
layers:
  - conv2d: {filters: 4, kernel: 3, from: image, name: c1}
  - conv2d: {filters: 4, kernel: 3, name: a}
  - conv2d: {filters: 4, kernel: 3, from: c1, name: b, share: a}
  - dense: {units: 2, from: extra, name: d}
"""
    verification = netcalc.verify(netcalc.load(spec))
    assert verification.ok, verification.failures()
    # c1: 4*27 + 4 = 112; a: 4*36 + 4 = 148 (b shares it); d: 4*2 + 2 = 10
    assert netcalc.analyze(netcalc.load(spec)).totals.params == 112 + 148 + 10


def test_run_takes_one_array_per_input_in_an_npz(tmp_path):
    spec = tmp_path / "two.yaml"
    spec.write_text(TWO)
    rng = np.random.default_rng(0)
    x = {"tokens": rng.normal(size=(2, 4, 8)), "image": rng.normal(size=(2, 3, 6, 6))}
    np.savez(tmp_path / "x.npz", **x)
    out = tmp_path / "y.npz"
    result = CliRunner().invoke(
        app, ["run", str(spec), "--input", str(tmp_path / "x.npz"), "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    expected = backend.run(two(), x=x).outputs
    with np.load(out) as saved:
        assert sorted(saved.files) == ["aux", "head"]
        for name in ("aux", "head"):
            np.testing.assert_allclose(saved[name], expected[name], rtol=1e-6)
    np.savez(tmp_path / "bad.npz", tokens=x["tokens"])
    result = CliRunner().invoke(app, ["run", str(spec), "--input", str(tmp_path / "bad.npz")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"error: {tmp_path / 'bad.npz'}: holds arrays tokens; the spec's inputs are tokens, image — one "
        "array per input, keyed by its name"
    ]
