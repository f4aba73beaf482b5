"""ONNX export checked by ONNX itself and by onnxruntime, against the engine and the NumPy backend.

For each spec: onnx.checker passes; ONNX's shape inference gives netcalc's shape for every layer
output; the initializers hold exactly params + state elements; onnxruntime's output on the same
input and weights equals the backend's (float32, max abs error < 1e-4 * max(1, max |y|)).
"""

from __future__ import annotations

import sys
import textwrap
from math import prod
from pathlib import Path

import numpy as np
import pytest
import zoo_sizes
from cases import CASES, spec_dict
from typer.testing import CliRunner

import netcalc
from netcalc import backend, verification
from netcalc.cli import app
from netcalc.errors import NetcalcError
from netcalc.layers import LAYERS
from netcalc.spec import read
from netcalc.zoo import names as zoo_names

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from netcalc.interop.onnx_export import CONVERTERS, DEFAULT_OPSET, to_onnx  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SPEC_FILES = sorted(
    str(p.relative_to(ROOT))
    for p in (ROOT / "specs").glob("*/*.yaml")
    if p.parent.name in ("dense-vs-conv", "examples")
)
# Smaller inputs where the architecture allows (the full size runs once each, in test_zoo_full).
# unet: its center_crop sizes are fixed for 572x572, so only the full size is valid.
# vit_b_16: the position embedding takes the token count of its input (17 at 64x64).
SMALL_INPUT = {
    "alexnet": [3, 64, 64],  # features 1x1 -> adaptive pool 6x6 (PyTorch's bins, by MatMul)
    "vgg16": [3, 64, 64],  # features 2x2 -> adaptive pool 7x7 (uneven bins)
    "resnet18": [3, 64, 64],
    "resnet50": [3, 64, 64],
    "mobilenet_v2": [3, 64, 64],
    "vit_b_16": [3, 64, 64],
}
TINY = str(ROOT / "specs" / "dense-vs-conv" / "tiny.yaml")
TINY_RESNET = str(ROOT / "specs" / "examples" / "tiny-resnet.yaml")
NEWEST_OPSET = 21  # Gelu is an op from 20; supported by onnx >= 1.16 and onnxruntime >= 1.18


def zoo_spec(name: str, shape: list[int] | None = None):
    """A zoo spec, loaded again with another input shape when one is given; a sequence model at
    the small size of zoo_sizes (its own arguments)."""
    raw, _ = read(f"zoo:{name}")
    return netcalc.load({**raw, "input": shape} if shape else raw, args=zoo_sizes.small_args(name))


def inferred_shapes(model) -> dict[str, tuple]:
    """Every value's shape by ONNX's own shape inference (the declared output shape removed)."""
    bare = onnx.ModelProto()
    bare.CopyFrom(model)
    del bare.graph.initializer[:]  # inference needs only the weights' shapes: give them as inputs
    for t in model.graph.initializer:
        bare.graph.input.append(onnx.helper.make_tensor_value_info(t.name, t.data_type, t.dims))
    for output in bare.graph.output:
        output.type.tensor_type.ClearField("shape")
    done = onnx.shape_inference.infer_shapes(bare, strict_mode=True, data_prop=True)
    values = [*done.graph.value_info, *done.graph.output]
    return {v.name: tuple(d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim) for v in values}


def run_onnx(model, x: np.ndarray | dict[str, np.ndarray]) -> np.ndarray:
    """The first output, for one input array or one array per input name."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return session.run(None, x if isinstance(x, dict) else {"input": x})[0]


def check_export(spec, batch: int = 2, opset: int = DEFAULT_OPSET, scale: float = 1.0) -> float:
    """All four checks on one spec; returns the max abs error against the backend."""
    report = netcalc.analyze(spec)
    x = (scale * np.random.default_rng(7).standard_normal((batch, *spec.input))).astype("float32")
    if spec.token_ids:  # an input an embedding reads holds int64 ids in [0, vocab)
        x = backend.random_input(spec, batch, seed=7)
    if len(spec.input_nodes) > 1:  # several inputs (each float or token ids): one array each, by name
        arrays = backend.random_inputs(spec, batch, seed=7).values()
        x = {name: a for (name, _), a in zip(spec.input_nodes.values(), arrays, strict=True)}
    result = backend.run(spec, x=x, seed=0)
    model = to_onnx(spec, weights=result, opset=opset)
    onnx.checker.check_model(model)

    # the batch stays symbolic; it is named N except after a Resize, whose shape inference
    # makes up a new name
    shapes = inferred_shapes(model)
    wrong = {
        r.name: (shapes.get(r.name), r.output_shape)
        for r in report.rows
        if shapes.get(r.name, ())[1:] != r.output_shape or not isinstance(shapes[r.name][0], str)
    }
    assert wrong == {}, "ONNX-inferred vs netcalc shapes"

    elements = sum(prod(t.dims) for t in model.graph.initializer)
    assert elements == report.totals.params + report.totals.state

    y, expected = run_onnx(model, x), result.output
    assert y.shape == expected.shape
    error = float(np.abs(y - expected).max())
    assert error < 1e-4 * max(1.0, float(np.abs(expected).max()))
    return error


# --- every spec file and zoo spec ----------------------------------------------------------------


@pytest.mark.parametrize("path", SPEC_FILES)
def test_spec_files(path):
    check_export(netcalc.load(str(ROOT / path)))


@pytest.mark.parametrize("name", [n for n in zoo_names() if n in SMALL_INPUT])
def test_zoo_small(name):
    check_export(zoo_spec(name, SMALL_INPUT[name]))


@pytest.mark.parametrize("name", zoo_names())
def test_zoo_full(name):
    check_export(zoo_spec(name), batch=1)


# --- every layer type, on small generated specs --------------------------------------------------

# name -> a small spec (YAML, as users write them) covering one family of layers and its branches
LAYER_CASES = {
    "dense": """
        input: [12]
        layers:
          - dense: {units: 5, activation: relu}               # (N, in): Gemm
          - dense: {units: 3, bias: false, activation: softmax}
          - reshape: {shape: [1, 3]}
          - dense: {units: 5, activation: gelu}               # N-d: MatMul + Add
          - dense: {units: 2, bias: false, activation: sigmoid}
    """,
    "conv": """
        input: [4, 9, 7]
        layers:
          - conv2d: {filters: 6, kernel: [1, 3], stride: [2, 1], padding: [0, 1], groups: 2,
                     activation: silu}
          - conv2d: {filters: 6, kernel: 3, groups: 6, bias: false, padding: same, stride: 2,
                     activation: relu6}
          - conv2d: {filters: 3, kernel: [3, 1], padding: valid, activation: hardswish}
          - conv2d: {filters: 4, kernel: 1, dilation: 2, activation: leaky_relu, from: input}
          - conv2d: {filters: 4, kernel: 2, dilation: 2, activation: softmax}
          - conv2d: {filters: 4, kernel: 1, activation: hardsigmoid}
    """,
    "conv-1d-3d": """
        input: [2, 5, 6, 7]
        layers:
          - conv3d: {filters: 3, kernel: [2, 3, 3], stride: [1, 2, 1], padding: [1, 0, 1],
                     activation: tanh}
          - reshape: {shape: [6, -1]}
          - conv1d: {filters: 4, kernel: 4, stride: 2, padding: same, activation: elu}   # pads (1, 2)
          - conv1d: {filters: 2, kernel: 3, dilation: 2, padding: same}
    """,
    "conv-transpose": """
        input: [4, 5, 6]
        layers:
          - conv_transpose2d: {filters: 6, kernel: [3, 2], stride: [2, 3], padding: [1, 0],
                               output_padding: [1, 2], groups: 2, activation: relu}
          - conv_transpose2d: {filters: 2, kernel: 3, stride: 2, dilation: 2, output_padding: 1,
                               bias: false}                 # (2, 24, 42)
          - reshape: {shape: [2, 4, 6, 42]}
          - conv_transpose3d: {filters: 2, kernel: 2, stride: 2}
          - reshape: {shape: [4, -1]}
          - conv_transpose1d: {filters: 4, kernel: 3, stride: 2, padding: 1, output_padding: 1}
    """,
    "pools": """
        input: [3, 11, 10]
        layers:
          - maxpool2d: {size: 3, stride: 2, ceil_mode: true}
          - maxpool2d: {size: 2, stride: 1, padding: 1, dilation: 2}
          - avgpool2d: {size: 3, stride: 2, padding: 1, ceil_mode: true, from: input}
          - avgpool2d: {size: 3, stride: 2, padding: 1, ceil_mode: true, count_include_pad: false}
    """,
    "pools-1d-3d": """
        input: [2, 4, 7, 8]
        layers:
          - maxpool3d: {size: 2}
          - reshape: {shape: [6, -1]}
          - maxpool1d: {size: 3, stride: 2, padding: 1, ceil_mode: true}
          - avgpool3d: {size: [2, 3, 2], stride: 1, from: input}
          - reshape: {shape: [6, -1]}
          - avgpool1d: {size: 4, stride: 3, padding: 2, count_include_pad: false}
    """,
    "ceil-mode-drop": """
        input: [2, 5, 9]
        layers:   # ceil_mode's last window would start in the right padding: PyTorch drops it
          - maxpool2d: {size: 2, stride: 2, padding: 1, ceil_mode: true, name: max}
          - avgpool2d: {size: 2, stride: 2, padding: 1, ceil_mode: true, from: input}
          - avgpool2d: {size: 2, stride: 2, padding: 1, ceil_mode: true, count_include_pad: false,
                        from: input}
          - concat: {from: [-1, -2, max]}
    """,
    "ceil-mode-mixed": """
        input: [2, 4, 5]
        layers:   # H needs ceil_mode's extra window, W drops it
          - maxpool2d: {size: [3, 2], stride: 2, padding: 1, ceil_mode: true}
          - avgpool2d: {size: [3, 2], stride: 2, padding: 1, ceil_mode: true, from: input}
          - avgpool2d: {size: [3, 2], stride: 2, padding: 1, ceil_mode: true,
                        count_include_pad: false, from: input}
          - concat: {from: [-1, -2, -3]}
    """,
    "adaptive": """
        input: [3, 7, 5]
        layers:
          - adaptive_avgpool2d: {size: [3, 4]}         # uneven bins: MatMul
          - adaptive_avgpool2d: {size: [6, 9]}         # bins overlap
          - reshape: {shape: [18, 9]}
          - adaptive_avgpool1d: {size: 4}
          - adaptive_avgpool1d: {size: 2}              # even: AveragePool
          - reshape: {shape: [3, 6, 2, 1]}
          - adaptive_avgpool3d: {size: [3, 2, 1]}      # even
          - adaptive_avgpool3d: {size: [2, 3, 2]}      # D uneven: transposed MatMul
          - adaptive_avgpool2d: {size: [6, 6], from: input}
          - adaptive_avgpool2d: {size: [6, 6]}         # identity
          - adaptive_avgpool2d: {size: [3, 2]}         # even
    """,
    "global-pools": """
        input: [3, 5, 6]
        layers:
          - global_avgpool: {name: avg}
          - global_maxpool: {from: input}
          - add: {from: [-1, avg]}
    """,
    "upsample-nearest": """
        input: [3, 4, 5]
        layers:
          - upsample: {scale: 2}
          - upsample: {size: [7, 9], from: input}
          - upsample: {scale: [3, 1]}
          - upsample: {scale: 1.7}                      # 21 x 1.7 = 35.7: the scales themselves
          - reshape: {shape: [3, 35, 3, 5]}
          - upsample: {scale: [1, 2, 2]}
          - reshape: {shape: [3, -1]}
          - upsample: {scale: 3}
    """,
    "upsample-linear": """
        input: [3, 4, 6]
        layers:
          - upsample: {scale: 2, mode: bilinear}
          - upsample: {scale: 1.5, mode: bilinear, from: input}
          - upsample: {size: [5, 3], mode: bilinear}
          - upsample: {size: [1, 1], mode: bilinear}     # PyTorch samples the centre: half_pixel
          - upsample: {scale: [2.3, 0.6], mode: bilinear, from: input}
          - upsample: {size: [4, 7], mode: bilinear, align_corners: true}
          - reshape: {shape: [3, 2, 2, 7]}
          - upsample: {scale: 2, mode: trilinear}
          - reshape: {shape: [6, -1]}
          - upsample: {scale: 2.5, mode: linear}
          - upsample: {size: 7, mode: linear, align_corners: true}
    """,
    "moving": """
        input: [6, 4, 3]
        layers:
          - reshape: {shape: [4, 3, 6]}
          - permute: {dims: [2, 0, 1]}
          - slice: {start: 1, end: -1}
          - slice: {axis: 2, start: -2}
          - center_crop: {size: [3, 1]}
          - select: {axis: 1, index: -1}
          - select: {index: 2}
          - channel_shuffle: {groups: 3, from: input}
          - center_crop: {size: [3, 2]}                  # (4 - 3) / 2 rounds to even: 0
          - flatten
          - channel_shuffle: {groups: 4}
    """,
    "norms": """
        input: [4, 5, 5]
        layers:
          - batchnorm
          - dropout: {rate: 0.3}
          - stochastic_depth: {p: 0.1}
          - layer_scale: {init: 0.5}
          - reshape: {shape: [4, 25]}
          - batchnorm: {affine: false, eps: 1.0e-3}
          - layernorm: {eps: 1.0e-6}
          - layernorm: {affine: false}
          - flatten
          - batchnorm
          - layer_scale: {init: 2.0}
    """,
    "modern-norms": """
        input: [6, 5, 4]
        layers:
          - groupnorm: {groups: 3}
          - groupnorm: {groups: 2, affine: false, eps: 1.0e-3}
          - instancenorm
          - instancenorm: {affine: true}
          - pad: {padding: 1, value: 0.5}
          - pad: {padding: [[1, 0], [0, 2], [3, 0]]}
          - rmsnorm
          - rmsnorm: {affine: false, eps: 1.0e-5}
          - log_softmax
          - log_softmax: {axis: -1}
          - reshape: {shape: [-1]}
          - groupnorm: {groups: 7}                        # (C,): groups of channels only
          - pad: {padding: [[2, 1]], value: -1.0}
    """,
    "recurrent": """
        input: [5, 3]
        layers:
          - lstm: {units: 4, name: a}
          - lstm: {units: 3, layers: 2, bidirectional: true}
          - lstm: {units: 2, bias: single, return_sequences: false, bidirectional: true, from: a}
          - gru: {units: 4, from: a}
          - gru: {units: 3, layers: 2, bidirectional: true, bias: false}
          - gru: {units: 2, return_sequences: false, bidirectional: true, from: a}
          - rnn: {units: 4, from: a}
          - rnn: {units: 3, nonlinearity: relu, layers: 2, bidirectional: true}
          - rnn: {units: 2, bias: single, return_sequences: false}
    """,
    "merges": """
        input: [4, 5, 6]
        layers:
          - conv2d: {filters: 4, kernel: 1, name: a}
          - global_avgpool: {name: gate}
          - select: {from: input}
          - select: {name: row}                          # (6,): broadcast after the batch axis
          - multiply: {from: [a, gate, row], name: gated}
          - add: {from: [gated, input]}
          - add: {from: [-1, a, input]}
          - concat: {from: [-1, a]}
          - concat: {from: [-1, -1], axis: -1}
          - permute: {dims: [0, 2, 1], name: t}
          - matmul: {from: [-2, t]}                      # (16, 5, 12) @ (16, 12, 5)
    """,
    "activations": """
        input: [3, 4, 4]
        layers:
          - relu
          - tanh: {from: input}
          - relu6
          - leaky_relu: {negative_slope: 0.2}
          - sigmoid
          - softmax: {from: input}
          - softmax: {axis: -1}
          - gelu: {from: input}
          - gelu: {approximate: tanh, from: input}
          - silu: {from: input}
          - elu: {alpha: 0.5}
          - hardswish: {from: input}
          - hardsigmoid: {from: input}
    """,
    "prelu": """
        input: [3, 4, 4]
        layers:
          - prelu                                             # one slope: (1,)
          - prelu: {parameters: channel}                      # (C,) reshaped to (C, 1, 1)
          - prelu: {num_parameters: 3, init: 0.1}
          - prelu: {parameters: element}                      # (C, H, W) as it is
          - flatten
          - prelu: {parameters: channel}                      # (N, C): (C,) as it is
          - prelu: {parameters: element}
    """,
    "transformer": """
        input: [3, 8, 8]
        layers:
          - conv2d: {filters: 8, kernel: 4, stride: 4}
          - reshape: {shape: [8, -1]}
          - permute: {dims: [1, 0]}
          - class_token
          - pos_embedding
          - layernorm
          - attention: {heads: 2}
          - attention: {heads: 1, bias: false}
          - select: {index: 0}
          - dense: {units: 3}
    """,
    "tokens": """
        input: [6]
        layers:
          - embedding: {vocab: 11, dim: 8}               # int64 ids: Gather
          - pos_embedding: {length: 9}                   # the first 6 of 9 rows: Slice
          - pos_embedding
          - attention: {heads: 2}
    """,
}


def case_spec(name: str):
    return netcalc.load(f"name: {name}\n" + textwrap.dedent(LAYER_CASES[name]))


@pytest.mark.parametrize("opset", [DEFAULT_OPSET, NEWEST_OPSET])
@pytest.mark.parametrize("name", LAYER_CASES)
def test_layer_cases(name, opset):
    check_export(case_spec(name), opset=opset, scale=3.0)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_table(case):
    """Every case of the engine's table (tests/cases.py), exported and run as well."""
    spec = netcalc.load(spec_dict(case))
    if verification.estimate_peak_bytes(spec, 2, 4) > 2**30:
        pytest.skip("the dense layers that make this case's extra inputs are too large to run")
    check_export(spec, scale=3.0)


def test_every_layer_type_has_a_converter_and_a_case():
    assert set(CONVERTERS) == set(LAYERS)
    covered = {type(n.layer) for name in LAYER_CASES for n in case_spec(name).nodes}
    assert [cls.kind for cls in LAYERS if cls not in covered] == []


# --- names, weights and errors -------------------------------------------------------------------


def test_names_layouts_and_symbolic_batch():
    spec = netcalc.load(TINY_RESNET)
    result = backend.run(spec, seed=3)
    model = to_onnx(spec, seed=3)
    graph = model.graph
    paths = [n.path for n in spec.nodes]
    assert {"residual.1.a", "residual.2.batchnorm_2"} <= set(paths)
    assert set(paths) <= {out for node in graph.node for out in node.output}
    assert set(paths) <= {node.name for node in graph.node}
    assert [i.name for i in graph.input] == ["input"]
    assert graph.input[0].type.tensor_type.shape.dim[0].dim_param == "N"
    assert [o.name for o in graph.output] == [paths[-1]]
    stored = {t.name: onnx.numpy_helper.to_array(t) for t in graph.initializer}
    expected = result.flat_weights()
    assert stored.keys() == expected.keys()  # one copy of each tensor, in PyTorch's layout
    for key, array in expected.items():
        np.testing.assert_array_equal(stored[key], array)


def test_weights_given_as_a_mapping_are_used():
    spec = netcalc.load(TINY)
    weights = {"hidden/weight": np.array([[1, 2], [3, 4]]), "output/weight": np.array([[5, 6]])}
    model = to_onnx(spec, weights=weights)
    y = run_onnx(model, np.array([[1.0, -1.0]], "float32"))
    np.testing.assert_array_equal(y, [[5 * -1 + 6 * -1]])


def test_opset_out_of_range():
    spec = netcalc.load(TINY)
    with pytest.raises(NetcalcError, match=r"opset must be from 17 \(LayerNormalization\) to \d+"):
        to_onnx(spec, opset=13)


def test_without_onnx_installed(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` raise ImportError
    spec = netcalc.load(TINY)
    with pytest.raises(NetcalcError, match=r"needs the 'onnx' package: pip install netcalc\[onnx\]"):
        to_onnx(spec)
    result = CliRunner().invoke(app, ["export", TINY, "-o", str(tmp_path / "m.onnx")])
    assert result.exit_code == 1
    assert result.stderr == "error: ONNX export needs the 'onnx' package: pip install netcalc[onnx]\n"
    assert not (tmp_path / "m.onnx").exists()


def test_cli_export_with_saved_weights(tmp_path):
    weights, out = tmp_path / "w.npz", tmp_path / "tiny-resnet.onnx"
    runner = CliRunner()
    spec = TINY_RESNET
    saved = runner.invoke(app, ["run", spec, "--seed", "5", "--save-weights", str(weights)])
    assert saved.exit_code == 0
    result = runner.invoke(app, ["export", spec, "-o", str(out), "--weights", str(weights)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"tiny-resnet: wrote {out} (opset 17, ")
    model = onnx.load(str(out))
    onnx.checker.check_model(model)
    with np.load(weights) as data:
        for t in model.graph.initializer:
            np.testing.assert_array_equal(onnx.numpy_helper.to_array(t), data[t.name])
    seeded = runner.invoke(app, ["export", spec, "-o", str(out), "--seed", "5"])
    assert seeded.exit_code == 0
    assert onnx.load(str(out)).graph.initializer == model.graph.initializer


def test_cli_export_errors(tmp_path):
    runner = CliRunner()
    bad_opset = runner.invoke(app, ["export", "zoo:lenet5", "-o", str(tmp_path / "m.onnx"), "--opset", "9"])
    assert bad_opset.exit_code == 1
    assert bad_opset.stderr.startswith("error: opset must be from 17")
    wrong = runner.invoke(
        app,
        [
            "export",
            TINY,
            "-o",
            str(tmp_path / "m.onnx"),
            "--weights",
            str(tmp_path / "no.npz"),
        ],
    )
    assert wrong.exit_code == 1
    assert "cannot read weights" in wrong.stderr
