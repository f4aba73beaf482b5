"""The NumPy backend end to end: spec -> weights -> real arrays, checked against the engine and by hand.

Every layer class has an op that some test runs; every shipped spec and every case of tests/cases.py
passes `verify`; known answers go through the whole wiring (spec, .npz weights, CLI); the weights
files, the memory guard, the `run`/`verify` commands and the seeded initialization are pinned.
"""

from __future__ import annotations

import dataclasses
import json
import re
from math import ceil, prod, sqrt
from pathlib import Path

import numpy as np
import pytest
import zoo_sizes
from cases import CASES, Case, spec_dict
from typer.testing import CliRunner

import netcalc
from netcalc import backend, verification
from netcalc.backend.ops import OPS
from netcalc.cli import app
from netcalc.errors import ResourceError
from netcalc.layers import LAYERS, Conv2d
from netcalc.spec import read
from netcalc.zoo import names as zoo_names

ROOT = Path(__file__).resolve().parents[1]
SPECS = sorted((ROOT / "specs").glob("**/*.yaml"))
TINY_RESNET = str(ROOT / "specs" / "examples" / "tiny-resnet.yaml")
TINY_SPEC = ROOT / "specs" / "dense-vs-conv" / "tiny.yaml"
runner = CliRunner()


@pytest.fixture
def results(monkeypatch) -> list:
    """The backend Results computed inside netcalc.verify, recorded as they are made."""
    seen = []
    real = backend.run

    def spy(*args, **kwargs):
        seen.append(real(*args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(backend, "run", spy)
    return seen


def write_spec(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


# ---------------------------------------------------------------------------------------------
# the case table: every layer type through the backend


def backend_spec(case: Case) -> dict:
    """spec_dict(case), with the extra inputs of a merge layer made cheaply.

    spec_dict makes each extra input by flatten -> dense -> reshape, whose weight has
    prod(shape)^2 elements (4 * 10^10 for a 64x56x56 residual): too big to execute. Here an input
    of the first input's shape is the input itself, one that differs only in the last axis comes
    from a dense layer, one that differs only in channels from a 1x1 conv.
    """
    if len(case.inputs) == 1:
        return spec_dict(case)
    first = case.inputs[0]
    layers: list = []
    refs = ["input"]
    for j, shape in enumerate(case.inputs[1:], start=1):
        name = f"in{j}"
        if shape == first:
            refs.append("input")
            continue
        if len(shape) == len(first) and shape[:-1] == first[:-1]:
            layers.append({"dense": {"units": shape[-1], "from": "input", "name": name}})
        elif 2 <= len(shape) == len(first) <= 4 and shape[1:] == first[1:]:
            layers.append(
                {f"conv{len(shape) - 1}d": {"filters": shape[0], "kernel": 1, "from": "input", "name": name}}
            )
        else:
            layers += [
                {"flatten": {"from": "input"}},
                {"dense": {"units": prod(shape)}},
                {"reshape": {"shape": list(shape), "name": name}},
            ]
        refs.append(name)
    layers.append({case.kind: {**case.args, "name": "under_test", "from": refs}})
    return {"name": case.id, "input": list(first), "layers": layers}


def test_every_layer_class_has_an_op_and_the_case_table_runs_each(monkeypatch):
    missing = [cls.__name__ for cls in LAYERS if cls not in OPS]
    assert missing == [], f"layer classes without an op in netcalc.backend.ops.OPS: {missing}"
    assert set(OPS) == set(LAYERS), "OPS has entries for classes that are not in LAYERS"
    ran = set()
    for cls, op in list(OPS.items()):

        def forward(layer, inputs, weights, ctx, _forward=op.forward, _cls=cls):
            ran.add(_cls)
            return _forward(layer, inputs, weights, ctx)

        monkeypatch.setitem(OPS, cls, dataclasses.replace(op, forward=forward))
    for case in CASES:
        netcalc.run(backend_spec(case))
    never = [cls.__name__ for cls in LAYERS if cls not in ran]
    assert never == [], f"ops no case executes: {never}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_engine_agrees_with_numpy(case: Case, results):
    verification = netcalc.verify(backend_spec(case))
    assert verification.ok, verification.failures()
    result = results[-1]
    trace = result.traces[-1]  # the layer under test, against the values derived by hand
    assert trace.name == "under_test"
    assert trace.output_shape == case.shape
    assert trace.tensors == case.params
    assert trace.state == case.state
    assert trace.neurons == case.neurons
    assert trace.macs == case.macs
    assert result.output.shape == (2, *case.shape)
    assert np.isfinite(result.output).all()


# ---------------------------------------------------------------------------------------------
# every shipped spec verifies


def assert_verifies(source, results, batch: int = 2) -> None:
    """verify(spec).ok, and the report's totals are the sums of the backend's arrays."""
    spec = netcalc.load(source)
    verification = netcalc.verify(spec, batch=batch)
    assert verification.ok, verification.failures()
    result = results[-1]
    report = netcalc.analyze(spec)
    totals = report.totals
    # a shared tensor (share: NAME) is one array, listed under each layer that uses it
    arrays = list({id(a): a for tensors in result.weights.values() for a in tensors.values()}.values())
    assert sum(a.size for a in arrays) == totals.params + totals.state
    assert sum(sum(t.tensors.values()) for t in result.traces) == totals.params
    assert sum(sum(t.state.values()) for t in result.traces) == totals.state
    # training-only layers (an auxiliary head) run here too, but stay out of inference totals
    inference = [t for t, row in zip(result.traces, report.rows, strict=True) if not row.training_only]
    assert sum(t.neurons for t in inference) == totals.neurons
    assert sum(t.macs for t in inference) == totals.macs
    assert sum(c.params for c in verification.checks) == totals.params
    assert np.isfinite(result.output).all()


@pytest.mark.parametrize("path", SPECS, ids=[str(p.relative_to(ROOT)) for p in SPECS])
def test_shipped_spec_verifies(path, results):
    assert_verifies(str(path), results)


def test_specs_folder_is_not_empty():
    assert len(SPECS) >= 4


# Full-size zoo specs take minutes in NumPy; the counts are the same functions at any input size,
# so the big ones verify at a small input. A zoo spec not named here runs at full size.
SMALL_INPUTS = {
    name: [3, 64, 64]
    for name in (
        "alexnet",
        "resnet18",
        "resnet50",
        "vgg16",
        "mobilenet_v2",
        "mobilenet_v3_small",
        "efficientnet_b0",
        "shufflenet_v2_x1_0",
        "convnext_tiny",
    )
} | {"unet": [1, 188, 188]}


def small_zoo_spec(name: str) -> dict | netcalc.Network:
    if zoo_sizes.small_args(name):
        return zoo_sizes.load(f"zoo:{name}")  # a sequence model through its own arguments
    raw, _ = read(f"zoo:{name}")
    raw = dict(raw)
    if name in SMALL_INPUTS:
        raw["input"] = SMALL_INPUTS[name]
    if name == "unet":
        # 188 -> 184 -> 92 -> 88 -> 44 -> 40 -> 20 -> 16 -> 8 -> 4 (bottom) -> up-conv 8: every
        # decoder stage receives an 8x8 up-convolution, so every skip is cropped to 8
        raw = crop_to(raw, 8)
    return raw


def crop_to(node, size: int):
    """A copy of raw spec data with every center_crop's size replaced, in blocks and layers."""
    if isinstance(node, dict):
        return {
            key: {**value, "size": size}
            if key == "center_crop" and isinstance(value, dict)
            else crop_to(value, size)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [crop_to(item, size) for item in node]
    return node


@pytest.mark.parametrize("name", zoo_names())
def test_zoo_spec_verifies(name, results):
    assert_verifies(small_zoo_spec(name), results, batch=1)  # batch 2 is the case table's


# ---------------------------------------------------------------------------------------------
# known answers through the whole wiring


def test_horizontal_edge_kernel_from_npz_through_the_cli(tmp_path):
    spec = write_spec(
        tmp_path / "edge.yaml", "input: [1, 6, 6]\nlayers:\n  - conv2d: {filters: 1, kernel: 3, name: edge}\n"
    )
    kernel = np.array([[1, 1, 1], [0, 0, 0], [-1, -1, -1]], dtype=np.float32)
    np.savez(
        tmp_path / "w.npz",
        **{"edge/weight": kernel.reshape(1, 1, 3, 3), "edge/bias": np.array([0.5], dtype=np.float32)},
    )
    image = np.zeros((1, 1, 6, 6), dtype=np.float32)
    image[..., 3:, :] = 1.0  # rows 0-2 dark, rows 3-5 bright: a horizontal step edge
    np.save(tmp_path / "x.npy", image)
    out = runner.invoke(
        app,
        [
            "run",
            spec,
            "--weights",
            str(tmp_path / "w.npz"),
            "--input",
            str(tmp_path / "x.npy"),
            "--output",
            str(tmp_path / "y.npy"),
        ],
    )
    assert out.exit_code == 0, out.output
    # cross-correlation (PyTorch): y[r, c] = 3 * (row r - row r+2) + 0.5, rows = 0,0,0,1,1,1
    # r=0: 3*(0-0)+0.5 = 0.5; r=1: 3*(0-1)+0.5 = -2.5; r=2: 3*(0-1)+0.5 = -2.5; r=3: 3*(1-1)+0.5
    expected = np.repeat(np.array([0.5, -2.5, -2.5, 0.5], dtype=np.float32)[:, None], 4, axis=1)
    y = np.load(tmp_path / "y.npy")
    assert y.shape == (1, 1, 4, 4)
    np.testing.assert_array_equal(y[0, 0], expected)


def test_residual_add():
    spec = netcalc.load(
        {"input": [3], "layers": [{"dense": {"units": 3, "name": "fc"}}, {"add": {"from": [-1, "input"]}}]}
    )
    weights = {"fc/weight": 2 * np.eye(3), "fc/bias": np.array([1.0, 2.0, 3.0])}
    x = np.array([[1.0, -2.0, 4.0]])
    y = netcalc.run(spec, x=x, weights=weights, dtype="float64").output
    # (2x + b) + x = 3x + b = [3 + 1, -6 + 2, 12 + 3]
    np.testing.assert_array_equal(y, [[4.0, -4.0, 15.0]])


@pytest.mark.parametrize(("height", "width", "k"), [(6, 7, 3), (8, 8, 4), (5, 9, 1)])
def test_same_padding_stride_2_is_tf_same(height, width, k):
    spec = netcalc.load(
        {
            "input": [2, height, width],
            "layers": [{"conv2d": {"filters": 3, "kernel": k, "stride": 2, "padding": "same", "name": "c"}}],
        }
    )
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 2, height, width))
    w, b = rng.standard_normal((3, 2, k, k)), rng.standard_normal(3)
    y = netcalc.run(spec, x=x, weights={"c/weight": w, "c/bias": b}, dtype="float64").output
    # TF SAME: out = ceil(L / s); total pad = max((out - 1) * s + k - L, 0), the odd one after
    ho, wo = ceil(height / 2), ceil(width / 2)
    pad_h, pad_w = max((ho - 1) * 2 + k - height, 0), max((wo - 1) * 2 + k - width, 0)
    xp = np.pad(x[0], ((0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2)))
    expected = np.empty((3, ho, wo))
    for f in range(3):
        for r in range(ho):
            for c in range(wo):
                expected[f, r, c] = (w[f] * xp[:, 2 * r : 2 * r + k, 2 * c : 2 * c + k]).sum() + b[f]
    assert y.shape == (1, 3, ho, wo)
    np.testing.assert_allclose(y[0], expected, rtol=1e-12, atol=1e-12)


def test_batchnorm_with_given_statistics():
    spec = netcalc.load({"input": [2, 2, 2], "layers": [{"batchnorm": {"eps": 0.0, "name": "bn"}}]})
    weights = {
        "bn/weight": np.array([2.0, 1.0]),
        "bn/bias": np.array([0.0, 3.0]),
        "bn/running_mean": np.array([1.0, -1.0]),
        "bn/running_var": np.array([4.0, 0.25]),
    }
    x = np.array([[[[1.0, 3.0], [5.0, -1.0]], [[-1.0, 0.0], [1.0, -2.0]]]])
    y = netcalc.run(spec, x=x, weights=weights, dtype="float64").output
    # channel 0: (x - 1) / sqrt(4) * 2 + 0 = x - 1; channel 1: (x + 1) / sqrt(0.25) * 1 + 3 = 2x + 5
    np.testing.assert_array_equal(y, [[[[0.0, 2.0], [4.0, -2.0]], [[3.0, 5.0], [7.0, 1.0]]]])


def test_dropout_training_mask_and_inverted_scaling_inference_identity():
    spec = netcalc.load({"input": [200_000], "layers": [{"dropout": {"rate": 0.25}}]})
    x = np.ones((1, 200_000))
    trained = netcalc.run(spec, x=x, seed=1, dtype="float64", training=True).output
    kept = trained != 0
    # 200,000 Bernoulli(0.75) draws: sd of the fraction sqrt(0.75 * 0.25 / 200000) = 0.001
    assert abs(kept.mean() - 0.75) < 0.005
    np.testing.assert_array_equal(trained[kept], 1 / (1 - 0.25))
    assert abs(trained.mean() - 1.0) < 0.01  # the scaling keeps the expectation
    inferred = netcalc.run(spec, x=x, seed=1, dtype="float64").output
    np.testing.assert_array_equal(inferred, x)


# ---------------------------------------------------------------------------------------------
# weights files and input arrays through the CLI


def test_saved_weights_reproduce_the_output_exactly(tmp_path):
    np.save(tmp_path / "x.npy", np.random.default_rng(0).standard_normal((2, 3, 32, 32)))
    first = runner.invoke(
        app,
        [
            "run",
            TINY_RESNET,
            "--seed",
            "3",
            "--input",
            str(tmp_path / "x.npy"),
            "--save-weights",
            str(tmp_path / "w.npz"),
            "--output",
            str(tmp_path / "y1.npy"),
        ],
    )
    assert first.exit_code == 0, first.output
    assert "saved weights to" in first.stdout
    again = runner.invoke(
        app,
        [
            "run",
            TINY_RESNET,
            "--seed",
            "99",
            "--input",
            str(tmp_path / "x.npy"),
            "--weights",
            str(tmp_path / "w.npz"),
            "--output",
            str(tmp_path / "y2.npy"),
        ],
    )
    assert again.exit_code == 0, again.output
    other = runner.invoke(
        app,
        [
            "run",
            TINY_RESNET,
            "--seed",
            "99",
            "--input",
            str(tmp_path / "x.npy"),
            "--output",
            str(tmp_path / "y3.npy"),
        ],
    )
    assert other.exit_code == 0, other.output
    y1, y2, y3 = (np.load(tmp_path / f"y{i}.npy") for i in (1, 2, 3))
    assert y1.shape == (2, 10)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(y1, y3)  # the file's weights, not seed 99's, made y2


def saved_weights(tmp_path) -> dict[str, np.ndarray]:
    out = runner.invoke(app, ["run", TINY_RESNET, "--save-weights", str(tmp_path / "w.npz")])
    assert out.exit_code == 0, out.output
    with np.load(tmp_path / "w.npz") as data:
        return {key: data[key] for key in data.files}


def run_with(tmp_path, weights: dict) -> object:
    np.savez(tmp_path / "bad.npz", **weights)
    return runner.invoke(app, ["run", TINY_RESNET, "--weights", str(tmp_path / "bad.npz")])


@pytest.mark.parametrize("which", [0, -1], ids=["first", "last"])
def test_weights_missing_a_tensor(tmp_path, which):
    weights = saved_weights(tmp_path)
    key = list(weights)[which]  # the last layer's tensor too, after every other one was used
    del weights[key]
    out = run_with(tmp_path, weights)
    assert out.exit_code == 1
    layer, tensor = key.rsplit("/", 1)
    assert f"no tensor '{layer}/{tensor}'" in out.stderr


def test_weights_with_a_wrong_shape(tmp_path):
    weights = saved_weights(tmp_path)
    weights["stem/weight"] = np.zeros((16, 3, 3, 2), dtype=np.float32)
    out = run_with(tmp_path, weights)
    assert out.exit_code == 1
    assert "'stem/weight' has shape [16, 3, 3, 2]" in out.stderr
    assert "layer stem needs [16, 3, 3, 3]" in out.stderr


def test_weights_with_an_extra_tensor(tmp_path):
    weights = saved_weights(tmp_path)
    weights["ghost/weight"] = np.zeros(3, dtype=np.float32)
    out = run_with(tmp_path, weights)
    assert out.exit_code == 1
    assert "match no layer: ghost/weight" in out.stderr


def test_input_array_of_the_wrong_shape(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((1, 3, 16, 16), dtype=np.float32))
    out = runner.invoke(app, ["run", TINY_RESNET, "--input", str(tmp_path / "x.npy")])
    assert out.exit_code == 1
    assert "input array has shape [1, 3, 16, 16]" in out.stderr
    assert "[batch, 3, 32, 32]" in out.stderr


# ---------------------------------------------------------------------------------------------
# the memory guard

HUGE = {"input": [3, 1_000_000, 1_000_000], "layers": [{"conv2d": {"filters": 8, "kernel": 3}}]}


def test_a_10_to_the_12_element_layer_fails_before_allocating():
    with pytest.raises(ResourceError, match=r"needs about [\d,.]+ TiB .*--max-memory"):
        netcalc.run(HUGE)
    with pytest.raises(ResourceError, match="--max-memory"):
        netcalc.verify(HUGE)


def test_max_memory_1k_stops_a_small_spec():
    out = runner.invoke(app, ["run", TINY_RESNET, "--max-memory", "1K"])
    assert out.exit_code == 1
    assert "over the limit of 1 KiB" in out.stderr
    assert "--max-memory" in out.stderr
    assert runner.invoke(app, ["run", TINY_RESNET, "--max-memory", "64M"]).exit_code == 0


@pytest.mark.parametrize("source", [TINY_RESNET, "zoo:lenet5", "zoo:vit_b_16"])
@pytest.mark.parametrize("batch", [1, 4])
def test_peak_memory_estimate_is_bracketed(source, batch):
    spec = netcalc.load(source)
    report = netcalc.analyze(spec)
    rows = report.rows
    weights = report.totals.params + report.totals.state
    largest = max(prod(r.output_shape) for r in rows)
    estimate = verification.estimate_peak_bytes(spec, batch, 4)
    assert estimate >= (weights + batch * largest) * 4
    everything = prod(spec.input) + sum(prod(r.output_shape) for r in rows)
    workspace = max(2 * r.counts.macs + prod(r.output_shape) for r in rows)
    assert estimate <= (weights + batch * (everything + workspace)) * 4


# ---------------------------------------------------------------------------------------------
# the verify command and count --verify


def test_verify_upsampling_to_the_same_size_holds_a_new_array():
    # upsample size 3 on length 3 (bilinear 1x1 on 1x1 too): a copy, as the liveness pass counts it
    pooled = {"adaptive_avgpool2d": {"size": 1}}
    for spec in (
        {"input": [1, 3], "layers": [{"upsample": {"scale": 1, "mode": "linear"}}]},
        {"input": [1, 3, 3], "layers": [pooled, {"upsample": {"size": 1, "mode": "bilinear"}}]},
    ):
        result = netcalc.verify(spec, dtype="float64")
        assert result.ok, result.failures()


def test_verify_command_ok():
    out = runner.invoke(app, ["verify", TINY_RESNET, str(ROOT / "specs/dense-vs-conv/tiny.yaml")])
    assert out.exit_code == 0, out.output
    assert len(re.findall(r"\b(\d+)/\1 layers agree", out.stdout)) == 2
    assert "MISMATCH" not in out.stdout


def test_verify_command_mismatch_exit_3(monkeypatch):
    counted = Conv2d.params

    def one_too_many(self, inputs):
        tensors = counted(self, inputs)
        return {**tensors, "weight": tensors["weight"] + 1}

    monkeypatch.setattr(Conv2d, "params", one_too_many)
    out = runner.invoke(app, ["verify", TINY_RESNET])
    assert out.exit_code == 3
    assert "MISMATCH" in out.stdout
    # stem: 16 filters * 3 channels * 3 * 3 = 432 elements
    assert "layer 0 'conv2d' (stem): parameter 'weight': engine 433 elements, backend 432" in out.stderr


def test_verify_json():
    out = runner.invoke(app, ["verify", TINY_RESNET, "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    report = netcalc.analyze(netcalc.load(TINY_RESNET))
    assert data["ok"] is True
    assert [layer["name"] for layer in data["layers"]] == [r.name for r in report.rows]
    assert all(layer["ok"] and layer["mismatches"] == [] for layer in data["layers"])
    assert sum(layer["params"] for layer in data["layers"]) == report.params


def test_count_verify():
    out = runner.invoke(app, ["count", TINY_RESNET, "--verify"])
    assert out.exit_code == 0, out.output
    assert "tiny-resnet" in out.stdout
    rows = len(netcalc.analyze(netcalc.load(TINY_RESNET)).rows)
    assert f"{rows}/{rows} layers agree" in out.stdout


# ---------------------------------------------------------------------------------------------
# the library API, dtype and seeds


def test_library_run_with_input_and_weights():
    first = netcalc.run(TINY_RESNET, seed=5)
    x = np.random.default_rng(1).standard_normal((3, 3, 32, 32))
    a = netcalc.run(TINY_RESNET, x=x, weights=first.flat_weights(), seed=6)
    b = netcalc.run(netcalc.load(TINY_RESNET), x=x, weights=first.flat_weights(), seed=7)
    assert a.output.shape == (3, 10)
    np.testing.assert_array_equal(a.output, b.output)
    np.testing.assert_allclose(a.output.sum(axis=1), 1.0, rtol=1e-5)  # softmax at the end


def test_float64():
    result = netcalc.run(TINY_RESNET, dtype="float64")
    assert result.output.dtype == np.float64
    assert all(a.dtype == np.float64 for a in result.flat_weights().values())
    assert netcalc.run(TINY_RESNET).output.dtype == np.float32


def test_same_seed_same_output_different_seed_different():
    a, b, c = (netcalc.run(TINY_RESNET, seed=s) for s in (11, 11, 12))
    np.testing.assert_array_equal(a.output, b.output)
    assert all(np.array_equal(a.flat_weights()[k], w) for k, w in b.flat_weights().items())
    assert not np.array_equal(a.output, c.output)
    assert not np.array_equal(a.flat_weights()["stem/weight"], c.flat_weights()["stem/weight"])


# ---------------------------------------------------------------------------------------------
# seeded initialization: He before a relu, Glorot otherwise


def init_weight(layers: list, input_shape: list, layer: str) -> np.ndarray:
    spec = netcalc.load({"input": input_shape, "layers": layers})
    return netcalc.run(spec, seed=0, dtype="float64").weights[layer]["weight"]


def assert_he(w: np.ndarray, fan_in: int) -> None:
    std = sqrt(2 / fan_in)
    assert abs(w.std() / std - 1) < 0.05
    assert abs(w.mean()) < 0.05 * std
    beyond = (np.abs(w) > 2 * std).mean()  # normal: 4.6%; a uniform of this std: 0
    assert 0.03 < beyond < 0.06


def assert_glorot(w: np.ndarray, fan_in: int, fan_out: int) -> None:
    bound = sqrt(6 / (fan_in + fan_out))
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.99 * bound
    assert abs(w.std() / (bound / sqrt(3)) - 1) < 0.05  # uniform(-a, a): sd a / sqrt(3)


def test_he_init_before_relu():
    dense = init_weight([{"dense": {"units": 1000, "name": "d"}}, "relu"], [2000], "d")
    assert dense.shape == (1000, 2000)
    assert_he(dense, 2000)
    fused = init_weight(
        [{"conv2d": {"filters": 64, "kernel": 3, "activation": "relu", "name": "c"}}], [32, 5, 5], "c"
    )
    assert_he(fused, 32 * 3 * 3)
    through_bn = init_weight(
        [{"conv2d": {"filters": 64, "kernel": 3, "name": "c"}}, "batchnorm", "relu"], [32, 5, 5], "c"
    )
    assert_he(through_bn, 32 * 3 * 3)


def test_glorot_init_otherwise():
    dense = init_weight([{"dense": {"units": 1000, "name": "d"}}, "sigmoid"], [2000], "d")
    assert_glorot(dense, 2000, 1000)
    last = init_weight([{"dense": {"units": 500, "name": "d"}}], [1500], "d")
    assert_glorot(last, 1500, 500)
    conv = init_weight([{"conv2d": {"filters": 64, "kernel": 3, "name": "c"}}, "tanh"], [32, 5, 5], "c")
    assert_glorot(conv, 32 * 3 * 3, 64 * 3 * 3)


@pytest.mark.parametrize(
    ("option", "content", "message"),
    [
        ("--weights", b"hello\n", "not a NumPy file"),
        ("--weights", b"PK\x03\x04garbage", "BadZipFile"),
        ("--input", b"hello\n", "not a NumPy file"),
        ("--input", "complex", "holds complex128 values"),
        ("--input", "strings", "holds <U1 values"),
        ("--input", "npz", "holds arrays a; the spec's inputs are input"),  # an .npz: one per input
        ("--weights", "npy", "is one array (.npy)"),
    ],
)
def test_unreadable_arrays_are_one_line_errors(tmp_path, option, content, message):
    path = tmp_path / ("w.npz" if option == "--weights" else "x.npy")
    if content == "complex":
        np.save(path, np.ones((1, 2), dtype=complex))
    elif content == "strings":
        np.save(path, np.array([["a", "b"]]))
    elif content == "npz":
        path = tmp_path / "x.npz"
        np.savez(path, a=np.ones((1, 2)))
    elif content == "npy":
        path = tmp_path / "w.npy"
        np.save(path, np.ones((1, 2)))
    else:
        path.write_bytes(content)
    result = CliRunner().invoke(app, ["run", str(TINY_SPEC), option, str(path)])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("option", ["--output", "--save-weights"])
def test_unwritable_output_is_a_one_line_error(tmp_path, option):
    target = tmp_path / "missing-dir" / "out.npz"
    result = CliRunner().invoke(app, ["run", str(TINY_SPEC), option, str(target)])
    assert result.exit_code == 1
    assert "cannot write: No such file or directory" in result.output


def test_stochastic_depth_drops_whole_samples_in_training_and_is_identity_in_inference():
    spec = netcalc.load({"input": [3, 4], "layers": [{"stochastic_depth": {"rate": 0.5}}]})
    x = np.arange(1.0, 1.0 + 400 * 12).reshape(400, 3, 4)
    assert np.array_equal(netcalc.run(spec, x=x, dtype="float64").output, x)
    y = netcalc.run(spec, x=x, dtype="float64", training=True, seed=1).output
    dropped = np.all(y == 0, axis=(1, 2))
    kept = np.all(y == x / 0.5, axis=(1, 2))  # survivors scaled by 1 / (1 - rate)
    assert np.all(dropped | kept)  # whole samples: never a mix within one
    assert 0.4 < dropped.mean() < 0.6


def test_channel_shuffle_of_one_group_is_a_copy_as_the_liveness_pass_counts():
    """One group: the kernel's reshapes give a view of the input, so the op copies (a property test find)."""
    verification = netcalc.verify({"input": [1, 3], "layers": [{"channel_shuffle": {"groups": 1}}]}, batch=2)
    assert verification.ok, verification.failures()
