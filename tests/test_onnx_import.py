"""ONNX import (netcalc import, and every command reading a .onnx directly).

Real exporter output: weight-free fixtures written by PyTorch's torch.onnx.export from
tools/make_onnx_fixtures.py, with PyTorch's own figures beside them (<name>.json). Round trips:
every shipped spec and zoo model exported by netcalc, stripped of its weight data, imported and
counted gives the same figures. Bad files are one-line errors with exit 1.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import zoo_sizes
from typer.testing import CliRunner

import netcalc
from netcalc.cli import app
from netcalc.errors import SpecError
from netcalc.report import analyze
from netcalc.zoo import names as zoo_names

onnx = pytest.importorskip("onnx")
from netcalc.interop.onnx_export import to_onnx  # noqa: E402  (needs onnx)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "onnx"
SHIPPED = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "specs").rglob("*.yaml"))
ZOO = [f"zoo:{name}" for name in zoo_names()]
# inception_v3's auxiliary classifier is training_only: ONNX holds the inference graph only, so the
# import counts the network without it (checked below)
NOT_YET = {"zoo:inception_v3"}


PYTORCH = ["resnet18", "small_cnn", "token_mixer", "attention_block", "embedding_mlp"]
PYTORCH += ["llama_block", "qwen_cross"]  # attention written with one Linear per projection
# the same two by PyTorch's default export (constant folding): each projection's weight a transposed
# initializer 'onnx::MatMul_N', known by the MatMul's scope ('/self_attn/k_proj/MatMul')
PYTORCH += ["llama_block_folded", "qwen_cross_folded"]
# and by the dynamo=True exporter: nodes 'node_MatMul_1' scoped by their metadata, projections in
# sub-module scopes (self_attn.k_proj), weights 'val_7', repeat_interleave as Expand
PYTORCH += ["llama_block_dynamo", "qwen_cross_dynamo"]
PYTORCH += ["lstm_lm", "gru_classifier", "rnn_relu"]  # recurrent: tests/test_onnx_recurrent.py
PYTORCH += ["mean_pools"]  # x.mean((2, 3)) and x.amax((2, 3), keepdim=True): global pools


@pytest.mark.parametrize("name", PYTORCH)
def test_pytorch_exports_count_as_pytorch_does(name):
    expected = json.loads((FIXTURES / f"{name}.json").read_text())
    report = analyze(netcalc.load(str(FIXTURES / f"{name}.onnx")))
    assert list(report.input_shape) == expected["sample"]
    assert (report.totals.params, report.totals.state, report.totals.macs) == (
        expected["params"],
        expected["buffers"],
        expected["macs"],
    )


def test_resnet18_acceptance():
    """PyTorch's ResNet-18, exported with its BatchNormalization nodes kept, weight-free."""
    path = FIXTURES / "resnet18.onnx"
    model = onnx.load(str(path), load_external_data=False)
    assert all(not t.raw_data and not t.float_data for t in model.graph.initializer if len(t.dims) > 1)
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param  # a symbolic batch
    assert path.stat().st_size < 50_000
    report = analyze(netcalc.load(str(path)))
    assert report.totals.params == 11_689_512
    assert report.totals.state == 9_600
    assert report.totals.macs == 1_814_073_344


def test_gather_on_a_table_is_an_embedding():
    """nn.Embedding exports as Gather(table, ids): an embedding layer reading the int64 ids."""
    model = onnx.load(str(FIXTURES / "embedding_mlp.onnx"))
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.INT64
    network = netcalc.load(str(FIXTURES / "embedding_mlp.onnx"))
    embed = {"embedding": {"vocab": 100, "dim": 16, "name": "embed", "from": "input"}}
    assert network.spec.layers[0] == embed
    report = analyze(network)
    # table 100*16; mlp 16*8+8 on 12 tokens; head (12*8)*3+3. MACs: 12*16*8 + 96*3 (a lookup has none)
    assert report.totals.params == 1_600 + 136 + 291 == 2_027
    assert report.totals.macs == 1_536 + 288 == 1_824


@pytest.mark.parametrize(
    ("name", "params", "macs"),
    [
        # dense 20*64+64, 64*32+32, 32*4+4; MACs 20*64 + 64*32 + 32*4
        ("keras_mlp", 1_344 + 2_080 + 132, 1_280 + 2_048 + 128),
        # conv 8*(3*3*3)+8 on 32x32 ('same'), maxpool to 16x16, conv 16*(8*3*3)+16 on 14x14, global
        # average pool, dense 16*10+10; MACs 32*32*8*27 + 14*14*16*72 + 16*10
        ("keras_cnn", 224 + 1_168 + 170, 221_184 + 225_792 + 160),
        # LSTM(12) on (10, 8), one bias: 4*12*(8+12) + 4*12; LSTM(6): 4*6*(12+6) + 4*6; dense 6*3+3.
        # MACs: 10 steps * 4*12*(8+12) + 10 * 4*6*(12+6) + 6*3 (tests/test_onnx_recurrent.py)
        ("keras_lstm", 1_008 + 456 + 21, 9_600 + 4_320 + 18),
        # conv 4*(4*3*3)+4 on 8x8 ('same'), bilinear UpSampling2D (a Resize: an upsample, no
        # parameters, no MACs) to 16x16, conv 2*4+2; MACs 8*8*4*36 + 16*16*2*4
        ("keras_upsample", 148 + 10, 9_216 + 2_048),
    ],
)
def test_keras_models_converted_by_tf2onnx_count_as_keras_does(name, params, macs):
    """Keras 3 models converted by tf2onnx (tools/make_keras_fixtures.py): channels-last input
    transposed to NCHW (a permute), MatMul + Add as dense, Squeeze after the global pool."""
    expected = json.loads((FIXTURES / f"{name}.json").read_text())
    report = analyze(netcalc.load(str(FIXTURES / f"{name}.onnx")))
    assert list(report.input_shape) == expected["sample"]
    assert report.totals.params == params == expected["params"] == expected["trainable"]
    assert report.totals.macs == macs


def test_keras_batch_normalization_is_the_scale_and_shift_the_file_holds():
    """tf2onnx writes an inference BatchNormalization as Mul(x, gamma / sqrt(var + eps)) and
    Add(beta - mean * gamma / sqrt(var + eps)): 2*C numbers per layer, where Keras holds 4*C
    (gamma and beta trainable, moving mean and variance non-trainable). The importer counts what
    the file holds: a layer_scale with bias, 2*C trainable parameters. So the import's total is
    Keras's Total less 2*C per batch norm (its Non-trainable), which here equals Keras's Trainable;
    it is not a batchnorm (2*C params and 2*C state: 4*C the file does not hold)."""
    model = onnx.load(str(FIXTURES / "keras_bn.onnx"))
    muls = [n for n in model.graph.node if n.op_type == "Mul"]
    assert [n.name.split("/")[1] for n in muls] == ["batch_normalization_1", "batch_normalization_1_2"]
    assert not any(n.op_type == "BatchNormalization" for n in model.graph.node)
    expected = json.loads((FIXTURES / "keras_bn.json").read_text())
    network = netcalc.load(str(FIXTURES / "keras_bn.onnx"))
    report = analyze(network)
    scales = [r for r in report.rows if r.kind == "layer_scale"]
    assert [dict(r.tensors) for r in scales] == [{"scale": 8, "bias": 8}, {"scale": 16, "bias": 16}]
    assert [r.name for r in scales] == [
        "sequential_1_batch_normalization_1_batchnorm",  # named after the Mul's scope
        "sequential_1_batch_normalization_1_2_batchnorm",
    ]
    # conv 8*27+8; scale and shift 2*8; dense (8*8*8)*16+16; 2*16; dense 16*4+4
    held = 224 + 16 + 8_208 + 32 + 68
    assert report.totals.params == held == 8_548
    assert report.totals.state == 0
    # Keras: the same plus gamma, beta, moving mean, moving variance: 4*8 + 4*16 for the two norms
    assert expected["params"] == 224 + 4 * 8 + 8_208 + 4 * 16 + 68 == held + 2 * (8 + 16) == 8_596
    assert expected["non_trainable"] == 2 * (8 + 16) == 48  # moving mean and variance
    assert expected["trainable"] == held  # gamma and beta: as many numbers as the scale and shift
    # Keras's Flatten: a Reshape to (batch, 512) computed from the Shape of its input
    assert [r.kind for r in report.rows][4:8] == ["maxpool2d", "permute", "flatten", "dense"]
    # MACs: conv 16*16*8*27, dense 512*16, 16*4 (a scale and shift has none, as a batch norm)
    assert report.totals.macs == 55_296 + 8_192 + 64


def test_more_pytorch_operators_count_as_pytorch_does():
    """tools/make_onnx_fixtures.py's MoreOps: Pad (its pads computed from constants by PyTorch's
    exporter, read by ONNX's reference evaluator), InstanceNormalization with its weights, a
    ConvTranspose with output_padding, Resize by scales and by sizes computed from the input's
    Shape (bilinear, align_corners both ways), an AdaptiveAvgPool2d(4) (an AveragePool) and
    LogSoftmax: each the netcalc layer, PyTorch's figures."""
    expected = json.loads((FIXTURES / "more_ops.json").read_text())
    network = netcalc.load(str(FIXTURES / "more_ops.onnx"))
    layers = {n.path: n.layer for n in network.nodes}
    assert [(layers[n].padding, layers[n].value) for n in ("pad", "fill")] == [
        (((0, 0), (0, 1), (1, 2)), 0.0),  # ZeroPad2d((left 1, right 2, top 0, bottom 1))
        (((0, 0), (1, 1), (1, 1)), 0.5),
    ]
    assert (layers["norm"].kind, layers["norm"].affine, layers["norm"].eps) == ("instancenorm", True, 1e-5)
    assert layers["deconv"].output_padding == (1, 1)
    assert [(layers[n].mode, layers[n].align_corners) for n in ("up", "up_corners")] == [
        ("bilinear", False),
        ("bilinear", True),
    ]
    assert (layers["up"].scale, layers["up_corners"].size) == ((2.0, 2.0), (6, 6))
    assert layers["LogSoftmax"].kind == "log_softmax"
    report = analyze(network)
    # conv 6*(3*9)+6; instance norm 2*6; deconv 6*4*9+4; head 144*5+5
    assert report.totals.params == 168 + 12 + 220 + 725 == expected["params"] == 1_125
    # conv 3*5 outputs * 6 * 27; deconv, by its input positions 5*7 * 6 * 4 * 9; head 144*5
    assert report.totals.macs == 2_430 + 7_560 + 720 == expected["macs"]


def test_keras_depthwise_and_separable_convolutions_and_zero_padding():
    """tf2onnx's DepthwiseConv2D (a Conv with group C), SeparableConv2D (two Conv nodes), and
    ZeroPadding2D (a Pad of the channels-last input, before the transpose): Keras's count."""
    expected = json.loads((FIXTURES / "keras_convs.json").read_text())
    report = analyze(netcalc.load(str(FIXTURES / "keras_convs.onnx")))
    rows = [(r.kind, r.output_shape) for r in report.rows]
    assert rows[:5] == [
        ("pad", (18, 18, 4)),  # NHWC: rows and columns padded by 1, not the channels
        ("permute", (4, 18, 18)),
        ("conv2d", (4, 16, 16)),  # depthwise 3x3: 4*9 + 4
        ("conv2d", (4, 16, 16)),  # separable's depthwise, 'same', no bias: 4*9
        ("conv2d", (8, 16, 16)),  # separable's pointwise: 8*4 + 8
    ]
    # + conv 1x1 4*8+4 after the average pool, dense 4*3+3 after the global max pool
    assert report.totals.params == 40 + 36 + 40 + 36 + 15 == expected["params"] == 167
    # 16*16*4*9 twice, 16*16*8*4, 8*8*4*8, 4*3
    assert report.totals.macs == 2 * 9_216 + 8_192 + 2_048 + 12


def test_keras_embedding_and_conv1d_count_as_keras_does():
    """tf2onnx's Keras Embedding (negative ids mapped first: below) and Conv1D: Unsqueeze to 2-D,
    a Conv without bias, Squeeze, then the Add of the per-channel bias, which is the conv's."""
    expected = json.loads((FIXTURES / "keras_seq.json").read_text())
    report = analyze(netcalc.load(str(FIXTURES / "keras_seq.onnx")))
    kinds = [r.kind for r in report.rows]
    assert kinds[:5] == ["embedding", "reshape", "permute", "conv2d", "reshape"]
    conv = report.rows[3]
    assert (conv.output_shape, dict(conv.tensors)) == ((16, 1, 12), {"weight": 16 * 8 * 3, "bias": 16})
    # table 40*8; conv 16*(8*3)+16; dense (12*16)*2+2
    assert report.totals.params == 320 + 400 + 386 == expected["params"] == 1_106
    # conv 12 positions * 16 * 24; dense 192*2
    assert report.totals.macs == 4_608 + 384


def test_keras_layer_normalization_folds_into_one_layernorm(tmp_path):
    """tf2onnx decomposes Keras's LayerNormalization: the mean and the variance as GlobalAveragePool
    of (N, T, D), Add of eps, Sqrt, Reciprocal, times gamma, x * m + (beta - mean * m), 12 nodes in
    its name scope. Their counts are layernorm's: gamma and beta, D each (Keras's 2 * 8)."""
    expected = json.loads((FIXTURES / "keras_norm.json").read_text())
    network = netcalc.load(str(FIXTURES / "keras_norm.onnx"))
    norm = network.nodes[0].layer
    assert (norm.kind, norm.eps, norm.dims, norm.affine) == ("layernorm", 1e-3, 1, True)  # Keras's eps
    report = analyze(network)
    # gamma and beta 2*8; dense (12*8)*2+2
    assert report.totals.params == 16 + 194 == expected["params"] == 210
    assert report.totals.macs == 96 * 2
    # the mean also read outside the scope: not only a layer norm, not folded
    model = onnx.load(str(FIXTURES / "keras_norm.onnx"))
    mean = next(n for n in model.graph.node if n.name.endswith("moments/mean"))
    model.graph.node.append(onnx.helper.make_node("Relu", [mean.output[0]], ["other"], name="other"))
    model.graph.output.append(onnx.helper.make_tensor_value_info("other", onnx.TensorProto.FLOAT, None))
    onnx.save(model, str(tmp_path / "m.onnx"))
    with pytest.raises(SpecError, match=r"operators netcalc cannot count: .*Reciprocal x1"):
        netcalc.load(str(tmp_path / "m.onnx"))


def test_keras_dense_on_tokens_is_one_dense(tmp_path):
    """tf2onnx's Keras Dense on (T, D) tokens (Tensordot): Reshape to (-1, D), MatMul, Reshape back
    to (N, T, U) computed from the input's Shape, Add of the bias: one dense on the tokens."""
    expected = json.loads((FIXTURES / "keras_tokens.json").read_text())
    network = netcalc.load(str(FIXTURES / "keras_tokens.onnx"))
    report = analyze(network)
    assert [(r.kind, r.output_shape) for r in report.rows] == [
        ("dense", (12, 16)),
        ("dense", (12, 4)),
        ("reshape", (48,)),
        ("dense", (2,)),
    ]
    assert network.nodes[0].layer.activation == "relu"
    # 8*16+16, 16*4+4, 48*2+2; MACs 12*8*16, 12*16*4, 48*2
    assert report.totals.params == 144 + 68 + 98 == expected["params"] == 310
    assert report.totals.macs == 1_536 + 768 + 96
    # a Reshape back to anything but (N, T, U): the MatMul is not read, never miscounted
    model = onnx.load(str(FIXTURES / "keras_tokens.onnx"))
    back = next(
        n for n in model.graph.node if n.op_type == "Reshape" and n.name == "sequential_1/dense_1/Tensordot"
    )
    back.input[1] = "sequential_1/dense_1/Tensordot/Reshape_shape__36"  # the constant (-1, 8)
    onnx.save(model, str(tmp_path / "m.onnx"))
    with pytest.raises(
        SpecError, match=r"cannot count: .*MatMul x1 \(sequential_1/dense_1/Tensordot/MatMul\)"
    ):
        netcalc.load(str(tmp_path / "m.onnx"))


def test_keras_embedding_maps_negative_ids_first(tmp_path):
    """tf2onnx's Keras Embedding (as in the keras_seq fixture, written out): where(ids < 0, ids + vocab,
    ids) as Less, Not, Cast, Mul and Add on the ids, then Gather on the table. The mapping has no
    parameters and no MACs: one embedding layer reading the ids, 10 x 4 parameters."""
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    import numpy as np

    ids = helper.make_tensor_value_info("ids", onnx.TensorProto.INT32, ["N", 5])
    y = helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["N", 5, 4])
    weights = [
        numpy_helper.from_array(np.zeros((10, 4), "float32"), "table"),
        numpy_helper.from_array(np.array(10, "int32"), "vocab"),
        numpy_helper.from_array(np.array(0.0, "float32"), "zero"),
    ]
    int32 = onnx.TensorProto.INT32
    nodes = [
        helper.make_node("Add", ["ids", "vocab"], ["wrapped"], name="emb/add"),
        helper.make_node("Cast", ["ids"], ["real"], to=onnx.TensorProto.FLOAT, name="emb/cast"),
        helper.make_node("Less", ["real", "zero"], ["negative"], name="emb/less"),
        helper.make_node("Not", ["negative"], ["positive"], name="emb/not"),
        helper.make_node("Cast", ["positive"], ["keep"], to=int32, name="emb/cast1"),
        helper.make_node("Mul", ["ids", "keep"], ["kept"], name="emb/mul"),
        helper.make_node("Cast", ["negative"], ["take"], to=int32, name="emb/cast2"),
        helper.make_node("Mul", ["take", "wrapped"], ["taken"], name="emb/mul1"),
        helper.make_node("Add", ["taken", "kept"], ["mapped"], name="emb/select"),
        helper.make_node("Gather", ["table", "mapped"], ["y"], name="emb/GatherV2"),
    ]
    graph = helper.make_graph(nodes, "g", [ids], [y], initializer=weights)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "e.onnx"))
    network = netcalc.load(str(tmp_path / "e.onnx"))
    assert network.spec.layers == [{"embedding": {"vocab": 10, "dim": 4, "name": "emb", "from": "input"}}]
    assert analyze(network).totals.params == 40
    # a value of the mapping read by something else too: not only an id map, not folded
    graph.node.append(helper.make_node("Identity", ["keep"], ["mask"], name="other"))
    graph.output.append(helper.make_tensor_value_info("mask", int32, ["N", 5]))
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "f.onnx"))
    with pytest.raises(SpecError, match=r"operators netcalc cannot count: .*Cast x3 .*Less x1"):
        netcalc.load(str(tmp_path / "f.onnx"))


def test_a_module_called_twice_shares_its_initializers():
    """PyTorch's default export (constant folding on) of a model that calls two Linear layers twice.
    On tokens each call's weight transpose is folded into an initializer, and the exporter keeps
    the second behind an Identity node; after flattening both Gemm nodes read the same
    initializers. The file holds each weight once, and so does the spec (share:): PyTorch's count."""
    from math import prod

    expected = json.loads((FIXTURES / "tied_layers.json").read_text())
    model = onnx.load(str(FIXTURES / "tied_layers.onnx"))
    assert [n.output[0] for n in model.graph.node if n.op_type == "Identity"] == ["onnx::MatMul_33"]
    network = netcalc.load(str(FIXTURES / "tied_layers.onnx"))
    entries = [args for entry in network.spec.layers for args in entry.values()]
    assert {args["name"]: args["share"] for args in entries if args.get("share")} == {
        "mix_1": "mix",
        "fc2_1": "fc2",
    }
    # embed 16*32+32, mix 32*32+32, fc 320*64+64, fc2 64*64+64, head 64*5+5: each once
    held = sum(prod(t.dims) for t in model.graph.initializer)
    assert held == 544 + 1_056 + 20_544 + 4_160 + 325 == expected["params"] == 26_629
    report = analyze(network)
    assert report.totals.params == held
    assert report.totals.macs == expected["macs"]  # every call computes


def test_a_weight_shared_with_a_bias_of_its_own():
    """PyTorch's `b.weight = a.weight` with b's own bias, on tokens (each MatMul reads a Transpose
    of a.weight) and after flattening (both Gemm nodes read fc.weight), and a head tied to the
    token table with its own bias: share: with share_tensors: [weight] where the owner has a bias
    too; the file holds each weight once and each bias, and so does the spec: PyTorch's count."""
    from math import prod

    expected = json.loads((FIXTURES / "shared_weights.json").read_text())
    model = onnx.load(str(FIXTURES / "shared_weights.onnx"))
    network = netcalc.load(str(FIXTURES / "shared_weights.onnx"))
    shares = {
        args["name"]: (args["share"], args.get("share_tensors"))
        for entry in network.spec.layers
        for args in entry.values()
        if args.get("share")
    }
    assert shares == {"b": ("a", ["weight"]), "fc_b": ("fc", ["weight"]), "head": ("embed", None)}
    # embed 50*16; a 16*16+16, b's bias 16; fc 64*64+64, fc_b's bias 64; the head's bias 50
    held = sum(prod(t.dims) for t in model.graph.initializer)
    assert held == 800 + 272 + 16 + 4_160 + 64 + 50 == expected["params"] == 5_362
    report = analyze(network)
    assert report.totals.params == held
    rows = {r.name: r for r in report.rows}
    assert [dict(rows[n].tensors) for n in ("b", "fc_b", "head")] == [
        {"bias": 16},
        {"bias": 64},
        {"bias": 50},
    ]
    # every call computes: a, b 4*16*16 each; fc, fc_b 64*64 each; head 4*16*50
    assert report.totals.macs == 2 * 1_024 + 2 * 4_096 + 3_200 == expected["macs"]


def test_an_identity_naming_a_parameter_of_its_own_is_not_sharing(tmp_path):
    """Equal initializers that the exporter deduplicates (a fresh model's ones and zeros) reach a
    layer through an Identity named after that layer's own parameter: counted, not shared. An
    Identity of a tensor the exporter made ('onnx::...') is the same tensor read again."""
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    import numpy as np

    def model(alias: str) -> onnx.ModelProto:
        weights = [numpy_helper.from_array(np.ones((4, 4), "float32"), "a.weight")]
        weights.append(numpy_helper.from_array(np.zeros(4, "float32"), "a.bias"))
        m = small_model(
            [
                helper.make_node("Identity", ["a.weight"], [alias]),
                helper.make_node("Gemm", ["x", "a.weight", "a.bias"], ["h"], name="a/Gemm", transB=1),
                helper.make_node("Gemm", ["h", alias, "a.bias"], ["y"], name="b/Gemm", transB=1),
            ]
        )
        m.graph.initializer.extend(weights)
        return m

    # b's Gemm reads a.bias itself, the same tensor: held once, shared (share_tensors: [bias]; it
    # was counted twice while a layer could only share all of its tensors or none)
    for alias, params, share in (
        ("b.weight", 16 + 4 + 16, {"share": "a", "share_tensors": ["bias"]}),
        ("onnx::Gemm_7", 16 + 4, {"share": "a"}),
    ):
        onnx.save(model(alias), str(tmp_path / "m.onnx"))
        network = netcalc.load(str(tmp_path / "m.onnx"))
        b = network.spec.layers[1]["dense"]
        assert {k: v for k, v in b.items() if k.startswith("share")} == share, alias
        assert analyze(network).totals.params == params, alias


def zero_weights(network: netcalc.Network):
    """A backend Result holding zero weights of the right shapes (no forward pass: fast)."""
    import numpy as np

    from netcalc.backend import Result
    from netcalc.backend.ops import OPS

    weights = {}
    for node, row in zip(network.nodes, analyze(network).rows, strict=True):
        inputs = [np.empty((1, *shape), np.float32) for shape in row.input_shapes]
        shapes = OPS[type(node.layer)].tensors(node.layer, inputs)
        weights[node.path] = {name: np.zeros(shape, np.float32) for name, shape in shapes.items()}
    return Result(output=np.empty(0), weights=weights)


def stripped_export(network: netcalc.Network, path: Path, opset: int = 17) -> Path:
    model = to_onnx(network, weights=zero_weights(network), opset=opset)
    for tensor in model.graph.initializer:
        if tensor.data_type == onnx.TensorProto.FLOAT and len(tensor.dims) >= 1:
            tensor.ClearField("raw_data")
            tensor.ClearField("float_data")
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize("source", [s for s in SHIPPED + ZOO if s not in NOT_YET])
def test_round_trip(source, tmp_path):
    network = zoo_sizes.load(source)  # zero weights are allocated: sequence models run small
    path = stripped_export(network, tmp_path / "model.onnx")
    assert analyze(netcalc.load(str(path))).to_dict()["totals"] == analyze(network).to_dict()["totals"]


def test_inception_round_trip_lacks_only_the_training_branch(tmp_path):
    network = netcalc.load("zoo:inception_v3")
    imported = analyze(netcalc.load(str(stripped_export(network, tmp_path / "model.onnx"))))
    aux = sum(r.counts.params for r in analyze(network).rows if r.training_only)
    assert aux == 3_326_696
    assert imported.totals.params == analyze(network).totals.params - aux
    assert imported.totals.macs == analyze(network).totals.macs


def test_pytorch_attention_folds_into_one_layer():
    """nn.MultiheadAttention, decomposed by the exporter into 134 nodes, is one attention layer."""
    model = onnx.load(str(FIXTURES / "attention_block.onnx"))
    assert sum(1 for n in model.graph.node if n.name.startswith("/attn/")) == 134
    spec = netcalc.load(str(FIXTURES / "attention_block.onnx"))
    kinds = [n.layer.kind for n in spec.nodes]
    assert kinds == ["attention", "add", "layernorm", "dense"]
    assert spec.nodes[0].layer.heads == 4


GELUS = """
name: gelus
input: [6, 8]
layers:
  - dense: {units: 16, name: fc}
  - gelu: {approximate: tanh, name: tanh}
  - gelu: {name: erf}
  - dense: {units: 4, name: out}
"""


@pytest.mark.parametrize("opset", [17, 20])
def test_gelu_decompositions_and_the_gelu_operator_fold_into_gelu_layers(opset, tmp_path):
    """Below opset 20 netcalc writes each GELU as its formula (Mul, Add, Tanh or Erf, ...); from
    20 as the Gelu operator. Either way the import has one gelu layer each, its approximation kept."""
    network = netcalc.load(GELUS)
    model = to_onnx(network, opset=opset)
    ops = [n.op_type for n in model.graph.node if n.name.split("/")[0] == "tanh" and n.op_type != "Constant"]
    formula = ["Mul", "Mul", "Mul", "Mul", "Add", "Mul", "Tanh", "Add", "Mul"]  # 0.5 x (1 + tanh(..))
    assert ops == (["Gelu"] if opset == 20 else formula)
    onnx.save(model, str(tmp_path / "m.onnx"))
    imported = netcalc.load(str(tmp_path / "m.onnx"))
    assert [(n.layer.kind, getattr(n.layer, "approximate", None)) for n in imported.nodes] == [
        ("dense", None),
        ("gelu", "tanh"),
        ("gelu", "none"),
        ("dense", None),
    ]
    # fc 8*16+16, out 16*4+4; MACs 6*8*16 + 6*16*4 (a GELU has none)
    report = analyze(imported)
    assert (report.totals.params, report.totals.macs) == (144 + 68, 768 + 384)
    assert report.to_dict()["totals"] == analyze(network).to_dict()["totals"]


# the products by a constant (0.5, 0.044715, sqrt(2/pi), 1/sqrt(2)) and the additions of one, for
# which netcalc has no layer; the products of two activations are multiply layers, Tanh a tanh layer
TANH_UNKNOWN = r"Add x2 \(tanh/Add, tanh/Add_1\); Mul x3 \(tanh/Mul, tanh/Mul_3, tanh/Mul_4\)$"
ERF_UNKNOWN = r"Add x1 \(erf/Add\); Div x1 \(erf/Div\); Erf x1 \(erf/Erf\); Mul x1 \(erf/Mul\)$"


@pytest.mark.parametrize(
    ("layer", "constant", "wrong", "unknown"),
    [
        ("tanh", 0.044715, 0.05, TANH_UNKNOWN),
        ("tanh", 0.7978846, 0.8, TANH_UNKNOWN),
        ("tanh", 0.5, 0.25, TANH_UNKNOWN),
        ("erf", 1.4142135, 1.5, ERF_UNKNOWN),
        ("erf", 1.0, 2.0, ERF_UNKNOWN),
    ],
)
def test_a_gelu_with_another_constant_is_not_folded(layer, constant, wrong, unknown, tmp_path):
    """One constant of a GELU's formula changed: another function, so no gelu layer; its
    elementwise products of activations and constants are operators netcalc cannot count."""
    import numpy as np

    model = to_onnx(netcalc.load(GELUS), opset=17)
    (node,) = [
        n
        for n in model.graph.node
        if n.name.startswith(f"{layer}/Constant")
        and abs(float(onnx.numpy_helper.to_array(n.attribute[0].t)) - constant) < 1e-6
    ]
    node.attribute[0].t.CopyFrom(onnx.numpy_helper.from_array(np.array(wrong, "float32")))
    onnx.save(model, str(tmp_path / "m.onnx"))
    with pytest.raises(SpecError, match=rf"operators netcalc cannot count: {unknown}"):
        netcalc.load(str(tmp_path / "m.onnx"))


def test_llama_and_t5_import_as_netcalc_wrote_them(tmp_path):
    """The round trip above, layer by layer: RMSNorm, grouped-query and cross-attention without
    biases, the relative bias table, SwiGLU's product of two activations, T5's tied head."""
    llama = zoo_sizes.load("zoo:llama3_8b")
    back = netcalc.load(str(stripped_export(llama, tmp_path / "llama.onnx")))
    assert [n.layer.kind for n in back.nodes] == [n.layer.kind for n in llama.nodes]
    attention = next(n.layer for n in back.nodes if n.layer.kind == "attention")
    assert (attention.heads, attention.kv_heads, attention.bias, attention.causal) == (4, 2, False, True)
    # per decoder: rmsnorm 32, q 32*32, k and v 32*(2*8) each, out 32*32, gate and up 32*48 each,
    # down 48*32, rmsnorm 32; then table 64*32, rmsnorm 32, untied head 32*64
    per_layer = 32 + 1_024 + 2 * 512 + 1_024 + 3 * 1_536 + 32
    assert analyze(back).totals.params == 2 * per_layer + 2_048 + 32 + 2_048 == 19_616

    t5 = zoo_sizes.load("zoo:t5_small")
    back = netcalc.load(str(stripped_export(t5, tmp_path / "t5.onnx")))
    nodes = {n.path: n for n in back.nodes}
    layers = {path: n.layer for path, n in nodes.items()}
    cross = nodes["decoder_0_cross_attention"]
    assert (cross.layer.head_dim, [back.nodes[i].path for i in cross.inputs]) == (
        6,
        ["decoder_0_rmsnorm_2", "encoded"],
    )
    assert [layers[f"{s}_0_self_attention"].relative_bias for s in ("encoder", "decoder")] == [8, 8]
    assert layers["decoder_0_self_attention"].causal and not layers["encoder_0_self_attention"].causal
    assert layers["encoded"].kind == "rmsnorm" and layers["encoded"].eps == 1e-6
    tied = nodes["lm_head"].shares
    assert tied is not None and back.nodes[tied].layer.kind == "embedding"  # the head is the table


def test_pytorch_llama_block_folds_into_netcalc_layers():
    """A Llama decoder layer as its code writes it (tools/make_onnx_fixtures.py), exported by
    PyTorch: RMSNorm by rsqrt (Pow, ReduceMean, Add, Sqrt, Div(1, .), Mul, Mul by the weight),
    grouped-query attention by repeat_interleave (Unsqueeze, Tile, Reshape) into
    scaled_dot_product_attention (its causal mask by Trilu, Equal, Where), SwiGLU; the second
    norm's weight is the first's, deduplicated behind an Identity named after it: its own."""
    model = onnx.load(str(FIXTURES / "llama_block.onnx"))
    assert sum(1 for n in model.graph.node if n.name.startswith("/self_attn/")) == 109
    network = netcalc.load(str(FIXTURES / "llama_block.onnx"))
    assert [n.layer.kind for n in network.nodes] == [
        *("rmsnorm", "attention", "add", "rmsnorm"),
        *("dense", "silu", "dense", "multiply", "dense", "add", "rmsnorm"),
    ]
    attention = network.nodes[1].layer
    assert (network.nodes[1].path, attention.heads, attention.kv_heads, attention.head_dim) == (
        "self_attn",
        4,
        2,
        None,
    )
    assert (attention.bias, attention.causal) == (False, True)
    norms = [(n.layer.eps, n.layer.affine) for n in network.nodes if n.layer.kind == "rmsnorm"]
    assert norms == [(1e-5, True), (1e-5, True), (1e-6, False)]
    # norms 32 + 32 + none; q and o 32*32 each, k and v 32*(2*8) each; gate, up, down 32*48 each
    params = 64 + 2 * 1_024 + 2 * 512 + 3 * 1_536
    # 10 tokens: q and o 10*32*32 each, k and v 10*32*16 each, q.k and weights.v 2 * 10*10*4*8,
    # the MLP 3 * 10*32*48
    macs = 2 * 10_240 + 2 * 5_120 + 6_400 + 46_080
    expected = json.loads((FIXTURES / "llama_block.json").read_text())
    report = analyze(network)
    assert (
        (report.totals.params, report.totals.macs) == (params, macs) == (expected["params"], expected["macs"])
    )
    assert (params, macs) == (7_744, 83_200)


def test_pytorch_qwen_and_cross_attention_fold_into_attention_layers():
    """The same attention code with q, k and v biases (Qwen2), one key-value head of 6 (narrower
    than D / heads), and again as cross-attention to the input transposed: a memory of 32 tokens
    of 10 features, 2 key-value heads. The exporter names a constant of the cross-attention after
    the self-attention, which makes it first: the self-attention still ends at its out_proj."""
    network = netcalc.load(str(FIXTURES / "qwen_cross.onnx"))
    assert [n.layer.kind for n in network.nodes] == ["attention", "add", "permute", "attention", "add"]
    self_attn, cross = network.nodes[0].layer, network.nodes[3].layer
    assert (self_attn.heads, self_attn.kv_heads, self_attn.head_dim, self_attn.bias) == (
        4,
        1,
        6,
        ("q", "k", "v"),
    )
    assert self_attn.causal and not cross.causal
    assert (cross.heads, cross.kv_heads, cross.head_dim, cross.bias) == (4, 2, None, False)
    assert [network.nodes[i].path for i in network.nodes[3].inputs] == ["Add", "Transpose"]
    # self: q 32*24 + 24, k and v 32*6 + 6 each, out 24*32; cross: q 32*32, k and v 10*16 each,
    # out 32*32
    params = (792 + 2 * 198 + 768) + (1_024 + 2 * 160 + 1_024)
    # 10 queries; self: q 10*32*24, k and v 10*32*6 each, products 2 * 10*10*4*6, out 10*24*32;
    # cross over 32 memory tokens: q 10*32*32, k and v 32*10*16 each, products 2 * 10*32*4*8, out 10*32*32
    macs = (7_680 + 3_840 + 4_800 + 7_680) + (10_240 + 10_240 + 20_480 + 10_240)
    expected = json.loads((FIXTURES / "qwen_cross.json").read_text())
    report = analyze(network)
    assert (
        (report.totals.params, report.totals.macs) == (params, macs) == (expected["params"], expected["macs"])
    )
    assert (params, macs) == (4_324, 75_200)
    result = CliRunner().invoke(app, ["import", str(FIXTURES / "qwen_cross.onnx")])
    assert result.exit_code == 0, result.output
    assert "bias: [q, k, v], causal: true, from: input}" in result.output  # a bias list is written


@pytest.mark.parametrize("name", ["llama_block", "qwen_cross"])
@pytest.mark.parametrize("variant", ["folded", "dynamo"])
def test_other_exports_give_the_same_layers(name, variant):
    """PyTorch's default TorchScript export folds each projection's transpose into an
    'onnx::MatMul_N' initializer; the dynamo exporter names weights 'val_7' and nodes
    'node_MatMul_1', their module path in metadata. No weight name says q, k, v or o any more:
    the MatMul's scope does. The layers and their arguments are those of the plain export."""
    plain, other = (netcalc.load(str(FIXTURES / f"{n}.onnx")) for n in (name, f"{name}_{variant}"))
    model = onnx.load(str(FIXTURES / f"{name}_{variant}.onnx"))
    assert not [t.name for t in model.graph.initializer if t.name.endswith("proj.weight")]

    def arguments(network):  # each layer's type and arguments, its name and its inputs' names aside
        return [
            n.layer.model_dump(exclude={"name", "source"}) | {"kind": n.layer.kind} for n in network.nodes
        ]

    assert arguments(other) == arguments(plain)
    assert [n.inputs for n in other.nodes] == [n.inputs for n in plain.nodes]  # wired alike


def test_an_attention_whose_inner_value_is_read_outside_is_not_folded(tmp_path):
    """The Llama block with its attention weights (the Softmax) also a graph output: the scope has
    two values read after it, so it is not one layer; its operators are named, not dropped."""
    model = onnx.load(str(FIXTURES / "llama_block.onnx"))
    weights = onnx.helper.make_tensor_value_info("/self_attn/Softmax_output_0", onnx.TensorProto.FLOAT, None)
    model.graph.output.append(weights)
    onnx.save(model, str(tmp_path / "m.onnx"))
    with pytest.raises(SpecError, match=r"operators netcalc cannot count: .*Tile x2 \(/self_attn/Tile"):
        netcalc.load(str(tmp_path / "m.onnx"))


def test_a_key_view_that_does_not_split_the_key_projection_is_not_folded(tmp_path):
    """The Llama block with the heads' width 8 changed to 4 in the views of q, k and v: 2 key heads
    of 4 are not the key projection's 16 features, so the attention is not folded (its Tile,
    Reshape, ... are named) rather than counted with a made-up head size."""
    import numpy as np

    model = onnx.load(str(FIXTURES / "llama_block.onnx"))
    (width,) = [n for n in model.graph.node if n.output[0] == "/self_attn/Constant_3_output_0"]
    assert int(onnx.numpy_helper.to_array(width.attribute[0].t)) == 8
    width.attribute[0].t.CopyFrom(onnx.numpy_helper.from_array(np.array(4, "int64")))
    onnx.save(model, str(tmp_path / "m.onnx"))
    with pytest.raises(SpecError, match=r"operators netcalc cannot count: .*Tile x2 \(/self_attn/Tile"):
        netcalc.load(str(tmp_path / "m.onnx"))


@pytest.mark.parametrize(
    ("opset", "ops"), [(18, {"Pow", "ReduceMean", "Reciprocal"}), (23, {"RMSNormalization"})]
)
def test_pytorch_default_exporter_rmsnorm_is_one_layer(opset, ops):
    """nn.RMSNorm through torch.onnx.export(dynamo=True): Pow, ReduceMean, Add, Sqrt, Reciprocal,
    Mul (and Mul by the weight) at opset 18; RMSNormalization at 23, the weightless one's scale a
    ConstantOfShape of ones the input's shape. Either is one rmsnorm layer, weight or none."""
    model = onnx.load(str(FIXTURES / f"rmsnorm_opset{opset}.onnx"))
    assert ops <= {n.op_type for n in model.graph.node}
    network = netcalc.load(str(FIXTURES / f"rmsnorm_opset{opset}.onnx"))
    assert [n.layer.kind for n in network.nodes] == ["rmsnorm", "dense", "rmsnorm"]
    norms = [(n.layer.eps, n.layer.affine) for n in network.nodes if n.layer.kind == "rmsnorm"]
    assert norms == [(1e-5, True), (1.1920929e-07, False)]  # eps None: float32's epsilon
    # weight 32, Linear 32*16 without bias, no weight; MACs 10 tokens * 32*16
    expected = json.loads((FIXTURES / f"rmsnorm_opset{opset}.json").read_text())
    report = analyze(network)
    assert (
        (report.totals.params, report.totals.macs)
        == (32 + 512, 5_120)
        == (expected["params"], expected["macs"])
    )


def test_slice_bounds_given_as_unsqueezed_scalars(tmp_path):
    """PyTorch's export of x[:, 2:6] writes each bound as a scalar Constant through Unsqueeze:
    still a slice of tokens 2 to 5 (it was an operator netcalc could not count)."""
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    import numpy as np

    nodes = []
    for name, value in (("start", 2), ("end", 6), ("axis", 1), ("step", 1)):
        nodes.append(helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.array(value))))
        nodes.append(
            helper.make_node("Constant", [], [f"{name}_at"], value=numpy_helper.from_array(np.array([0])))
        )
        nodes.append(
            helper.make_node("Unsqueeze", [name, f"{name}_at"], [f"{name}s"], name=f"/Unsqueeze_{name}")
        )
    nodes.append(helper.make_node("Slice", ["x", "starts", "ends", "axiss", "steps"], ["y"], name="/Slice"))
    x = helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", 10, 32])
    y = helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["N", 4, 32])
    graph = helper.make_graph(nodes, "g", [x], [y])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "m.onnx"))
    network = netcalc.load(str(tmp_path / "m.onnx"))
    assert network.spec.layers == [
        {"slice": {"name": "Slice", "axis": 0, "start": 2, "end": 6, "from": "input"}}
    ]
    assert analyze(network).rows[0].output_shape == (4, 32)


RMS_SPEC = {
    "name": "rms",
    "input": [6, 8],
    "layers": [
        {"rmsnorm": {"eps": 1e-5, "name": "pre"}},
        {"dense": {"units": 4, "name": "proj"}},
        {"rmsnorm": {"affine": False, "name": "post"}},
    ],
}


@pytest.mark.parametrize("opset", [17, 18])
def test_netcalc_rmsnorm_export_folds_back(opset, tmp_path):
    """netcalc writes rmsnorm as Mul(x, x), ReduceMean (axes an attribute before opset 18, an input
    from it), Add eps, Sqrt, Div and Mul by the weight: one rmsnorm layer again, with or without
    its weight, eps as written (the float32 constant 9.99999975e-06 read as 1e-05)."""
    back = netcalc.load(str(stripped_export(netcalc.load(RMS_SPEC), tmp_path / "m.onnx", opset)))
    assert back.spec.layers == [
        {"rmsnorm": {"name": "pre", "eps": 1e-5, "affine": True, "from": "input"}},
        {"dense": {"name": "proj", "units": 4, "bias": True, "from": "pre"}},
        {"rmsnorm": {"name": "post", "eps": 1e-6, "affine": False, "from": "proj"}},
    ]
    # weight 8, dense 8*4 + 4, no weight; MACs 6 tokens * 8 * 4 (a norm has none)
    assert (analyze(back).totals.params, analyze(back).totals.macs) == (8 + 36, 192)


def rms_chain(
    axes=(-1,), power=2.0, weight=(8,), tail="Reciprocal", reuse=False, opset=17
) -> onnx.ModelProto:
    """PyTorch's export of x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight on
    (N, 6, 8): Pow, ReduceMean, Add, Sqrt, then Reciprocal (or Div(1, .)), Mul by x, Mul by the
    weight (first, as `weight * ...` writes it); each part can be bent to almost match."""
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    import numpy as np

    def const(name, value):
        return helper.make_node(
            "Constant", [], [name], value=numpy_helper.from_array(np.array(value, "float32"))
        )

    nodes = [const("two", power), const("eps", 1e-6), const("one", 1.0)]
    nodes.append(helper.make_node("Pow", ["x", "two"], ["sq"], name="norm/Pow"))
    nodes.append(helper.make_node("ReduceMean", ["sq"], ["ms"], name="norm/ReduceMean", axes=list(axes)))
    nodes.append(helper.make_node("Add", ["ms", "eps"], ["ms_eps"], name="norm/Add"))
    nodes.append(helper.make_node("Sqrt", ["ms_eps"], ["rms"], name="norm/Sqrt"))
    inverse = ["rms"] if tail == "Reciprocal" else ["one", "rms"]
    nodes.append(helper.make_node(tail, inverse, ["inv"], name=f"norm/{tail}"))
    nodes.append(helper.make_node("Mul", ["x", "inv"], ["normed"], name="norm/Mul"))
    nodes.append(
        helper.make_node("Mul", ["norm.weight", "normed"], ["w" if reuse else "y"], name="norm/Mul_1")
    )
    if reuse:  # the square read again outside the norm
        nodes.append(helper.make_node("Add", ["w", "sq"], ["y"], name="plus/Add"))
    x = helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", 6, 8])
    y = helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["N", 6, 8])
    table = numpy_helper.from_array(np.ones(weight, "float32"), "norm.weight")
    graph = helper.make_graph(nodes, "g", [x], [y], initializer=[table])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


@pytest.mark.parametrize("tail", ["Reciprocal", "Div"])
def test_pytorch_rsqrt_decomposition_is_one_rmsnorm(tail, tmp_path):
    onnx.save(rms_chain(tail=tail), str(tmp_path / "m.onnx"))
    network = netcalc.load(str(tmp_path / "m.onnx"))
    assert network.spec.layers == [
        {"rmsnorm": {"name": "norm", "eps": 1e-6, "affine": True, "from": "input"}}
    ]
    assert analyze(network).totals.params == 8  # the weight, one per feature


@pytest.mark.parametrize(
    ("bent", "left"),
    [
        (
            {"axes": (1,)},
            r"Add x1 \(norm/Add\); Mul x1 \(norm/Mul_1\); Pow x1 .*; Reciprocal x1 .*; ReduceMean x1 .*; "
            r"Sqrt x1 \(norm/Sqrt\)$",  # the product of two activations is a multiply layer
        ),
        ({"axes": (-2, -1)}, r"ReduceMean x1 \(norm/ReduceMean\)"),  # over tokens and features
        ({"power": 3.0}, r"Pow x1 \(norm/Pow\)"),  # the mean cube
        ({"reuse": True}, r"ReduceMean x1 \(norm/ReduceMean\)"),  # x^2 also added to the output
        ({"weight": (6, 8)}, r"operators netcalc cannot count: Mul x1 \(norm/Mul_1\)$"),
    ],
)
def test_a_near_rmsnorm_is_not_folded(bent, left, tmp_path):
    """A chain that differs in one place (the mean over tokens, over two axes, a cube, a square read
    elsewhere too, a weight per token) is not RMSNorm: its operators stay and are named. A weight
    of another shape leaves the weightless norm folded and its Mul named."""
    onnx.save(rms_chain(**bent), str(tmp_path / "m.onnx"))
    with pytest.raises(SpecError, match=left):
        netcalc.load(str(tmp_path / "m.onnx"))


def test_rms_normalization_operator(tmp_path):
    """RMSNormalization (opset 23): a (D,) initializer scale is the weight; a Constant of ones none."""
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    import numpy as np

    ones = numpy_helper.from_array(np.ones(8, "float32"))
    nodes = [
        helper.make_node("RMSNormalization", ["x", "n1.weight"], ["h"], name="n1", epsilon=1e-5),
        helper.make_node("Constant", [], ["ones"], value=ones),
        helper.make_node("RMSNormalization", ["h", "ones"], ["y"], name="n2", axis=2),
    ]
    x = helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", 6, 8])
    y = helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["N", 6, 8])
    weight = numpy_helper.from_array(np.ones(8, "float32"), "n1.weight")
    graph = helper.make_graph(nodes, "g", [x], [y], initializer=[weight])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)]), str(tmp_path / "m.onnx"))
    network = netcalc.load(str(tmp_path / "m.onnx"))
    assert network.spec.layers == [
        {"rmsnorm": {"name": "n1", "eps": 1e-5, "affine": True, "from": "input"}},
        {"rmsnorm": {"name": "n2", "eps": 1e-5, "affine": False, "from": "n1"}},
    ]
    assert analyze(network).totals.params == 8
    graph.node[2].attribute[0].i = 1  # over tokens and features: not netcalc's rmsnorm
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)]), str(tmp_path / "m.onnx"))
    with pytest.raises(SpecError, match=r"RMSNormalization x1 \(n2\)"):
        netcalc.load(str(tmp_path / "m.onnx"))


def test_a_tiny_gpt_exported_by_pytorch_counts_as_pytorch_does():
    """tools/make_onnx_fixtures.py's TinyGPT: token and position tables, two pre-norm blocks
    (nn.GELU('tanh') with a causal mask given to nn.MultiheadAttention; GPT-2's GELU code with
    is_causal), the final LayerNorm, an LM head tied to the token table."""
    expected = json.loads((FIXTURES / "tiny_gpt.json").read_text())
    network = netcalc.load(str(FIXTURES / "tiny_gpt.onnx"))
    block = ["layernorm", "attention", "add", "layernorm", "dense", "gelu", "dense", "add"]
    assert [n.layer.kind for n in network.nodes] == [
        "embedding",
        "pos_embedding",
        *block,
        *block,
        "layernorm",
        "dense",
    ]
    layers = {
        n.layer.kind: [m.layer for m in network.nodes if m.layer.kind == n.layer.kind] for n in network.nodes
    }
    assert [(a.heads, a.causal) for a in layers["attention"]] == [(4, True), (4, True)]
    assert [g.approximate for g in layers["gelu"]] == ["tanh", "tanh"]
    assert layers["pos_embedding"][0].length == 12
    assert {norm.eps for norm in layers["layernorm"]} == {1e-5}  # the float32 9.99999975e-06 read back
    assert network.spec.layers[-1]["dense"]["share"] == "wte"
    report = analyze(network)
    # wte 50*16, wpe 12*16 (12 rows for 10 tokens); a block: two layer norms 2*16 each, attention
    # 48*16+48 and 16*16+16, fc 16*64+64, proj 64*16+16; ln_f 2*16; the tied head none of its own
    assert (
        report.totals.params
        == 800 + 192 + 2 * (64 + 1_088 + 1_088 + 1_040) + 32
        == expected["params"]
        == 7_584
    )
    # a block: q, k, v 10*16*48, q.k and the weighted sum 2*(4*10*10*4), out 10*16*16, fc and
    # proj 2*10*16*64; head 10*16*50
    assert report.totals.macs == 2 * (7_680 + 3_200 + 2_560 + 20_480) + 8_000 == expected["macs"] == 75_840


def test_gelus_from_pytorchs_default_exporter_fold():
    """torch.onnx.export(dynamo=True), PyTorch's default exporter (tools/make_onnx_fixtures.py's
    GELUs): nn.GELU('tanh') written with Pow(x, 3), nn.GELU() with Erf, GPT-2's code, Hugging Face's
    FastGELU; the constants are scalar initializers. Nodes are named 'node_MatMul_1', each one's
    module kept in its metadata: the layers are named after the modules."""
    expected = json.loads((FIXTURES / "gelus_dynamo.json").read_text())
    network = netcalc.load(str(FIXTURES / "gelus_dynamo.onnx"))
    layers = [(n.layer.kind, getattr(n.layer, "approximate", None)) for n in network.nodes]
    assert layers == [
        ("dense", None),
        ("gelu", "tanh"),
        ("dense", None),
        ("gelu", "none"),
        ("dense", None),
        ("gelu", "tanh"),
        ("gelu", "tanh"),
    ]
    assert [n.path for n in network.nodes] == ["fc1", "tanh", "fc2", "erf", "fc3", "new", "fast"]
    report = analyze(network)
    # fc1 8*16+16, fc2 16*16+16, fc3 16*4+4; MACs on 6 tokens: 6*(8*16 + 16*16 + 16*4)
    assert report.totals.params == 144 + 272 + 68 == expected["params"] == 484
    assert report.totals.macs == 6 * (128 + 256 + 64) == expected["macs"] == 2_688


@pytest.mark.parametrize(
    ("node", "attribute", "value", "block"),
    [
        ("/h/h.0/ConstantOfShape", "value", -1.0, "h.0"),  # a fill of -1 above the diagonal
        ("/h/h.1/attn/Trilu", "upper", 1, "h.1"),  # ones kept above the diagonal: the mask is its transpose
    ],
)
def test_another_mask_is_not_read_as_causal(node, attribute, value, block, tmp_path):
    """A mask that is not -inf above the diagonal: no attention layer, its operators listed."""
    import numpy as np

    model = onnx.load(str(FIXTURES / "tiny_gpt.onnx"))
    (attr,) = [a for n in model.graph.node if n.name == node for a in n.attribute if a.name == attribute]
    if attribute == "value":
        attr.t.CopyFrom(onnx.numpy_helper.from_array(np.array([value], "float32")))
    else:
        attr.i = value
    onnx.save(model, str(tmp_path / "m.onnx"))
    with pytest.raises(SpecError, match=rf"operators netcalc cannot count: .*/h/{block}/attn/"):
        netcalc.load(str(tmp_path / "m.onnx"))


def test_import_writes_a_spec_that_loads(tmp_path):
    out = tmp_path / "spec.yaml"
    result = CliRunner().invoke(app, ["import", str(FIXTURES / "token_mixer.onnx"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "  - matmul: {name: MatMul, from: [q, Transpose]}" in text
    assert "  - dense: {name: q, units: 16, from: input}" in text  # MatMul + Add folded
    report = analyze(netcalc.load(str(out)))
    assert report.totals.macs == json.loads((FIXTURES / "token_mixer.json").read_text())["macs"]


def test_import_reads_stdin():
    data = (FIXTURES / "token_mixer.onnx").read_bytes()
    result = CliRunner().invoke(app, ["import", "-"], input=data)
    assert result.exit_code == 0, result.output
    assert "description: imported from <stdin>" in result.output
    bad = CliRunner().invoke(app, ["import", "-"], input=b"\x00\x01garbage")
    assert bad.exit_code == 1
    assert bad.output.strip().splitlines() == [
        "error: <stdin>: not a readable ONNX model (truncated, or another format): DecodeError"
    ]


def test_count_reads_onnx_directly():
    result = CliRunner().invoke(app, ["count", str(FIXTURES / "small_cnn.onnx"), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["totals"]["params"] == 41_542


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def test_bad_files_are_one_line_errors(tmp_path):
    good = (FIXTURES / "small_cnn.onnx").read_bytes()
    cases = {
        "truncated": (write(tmp_path / "cut.onnx", good[: len(good) // 2]), "not a readable ONNX model"),
        "not onnx": (
            write(tmp_path / "text.onnx", b"name: x\ninput: [3]\n" * 40),
            "not a readable ONNX model",
        ),
        "missing": (str(tmp_path / "none.onnx"), "no such file"),
    }
    for what, (path, phrase) in cases.items():
        result = CliRunner().invoke(app, ["count", path])
        assert result.exit_code == 1, what
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and phrase in lines[0], (what, lines)


def small_model(nodes, opset: int = 17, inputs=None):
    helper = onnx.helper
    x = helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", 4])
    y = helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["N", 4])
    graph = helper.make_graph(nodes, "g", inputs or [x], [y])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def formula(steps, consts):
    """A model of elementwise steps (op, inputs, output) on x (N, 4) to y, its constants as Constant nodes."""
    import numpy as np

    helper = onnx.helper
    nodes = [
        helper.make_node("Constant", [], [name], value=onnx.numpy_helper.from_array(np.array(v, "float32")))
        for name, v in consts.items()
    ]
    nodes += [helper.make_node(op, ins, [out], name=f"g/{out}") for op, ins, out in steps]
    return small_model(nodes)


# the erf GELU with x / sqrt 2 as x * (1 / sqrt 2), 0.5 taken before x
ERF_BY_PRODUCTS = [
    ("Mul", ["x", "k"], "s"),
    ("Erf", ["s"], "e"),
    ("Add", ["e", "one"], "p"),
    ("Mul", ["half", "p"], "h"),
    ("Mul", ["h", "x"], "y"),
]
ERF_CONSTS = {"k": 2**-0.5, "one": 1.0, "half": 0.5}


def test_erf_gelu_by_a_product_folds(tmp_path):
    onnx.save(formula(ERF_BY_PRODUCTS, ERF_CONSTS), str(tmp_path / "m.onnx"))
    assert netcalc.load(str(tmp_path / "m.onnx")).spec.layers == [{"gelu": {"name": "g", "from": "input"}}]


# the tanh GELU with x last in its Add, x^3 as (x * x) * x, 0.5 taken last
TANH_X_LAST = [
    ("Mul", ["x", "x"], "sq"),
    ("Mul", ["sq", "x"], "cube"),
    ("Mul", ["cube", "kappa"], "m"),
    ("Add", ["m", "x"], "inner"),
    ("Mul", ["beta", "inner"], "s"),
    ("Tanh", ["s"], "t"),
    ("Add", ["one", "t"], "p"),
    ("Mul", ["p", "x"], "h"),
    ("Mul", ["h", "half"], "y"),
]
TANH_CONSTS = {"kappa": 0.044715, "beta": (2 / 3.141592653589793) ** 0.5, "one": 1.0, "half": 0.5}


# Hugging Face's FastGELU, 0.5 * x * (1 + tanh(x * 0.7978845608 * (1 + 0.044715 * x * x))), as
# PyTorch's TorchScript exporter writes it
FAST = [
    ("Mul", ["x", "half"], "h"),
    ("Mul", ["x", "beta"], "bx"),
    ("Mul", ["x", "kappa"], "kx"),
    ("Mul", ["kx", "x"], "kxx"),
    ("Add", ["kxx", "one"], "a"),
    ("Mul", ["bx", "a"], "s"),
    ("Tanh", ["s"], "t"),
    ("Add", ["t", "one"], "p"),
    ("Mul", ["h", "p"], "y"),
]


@pytest.mark.parametrize("steps", [TANH_X_LAST, FAST], ids=["x_last", "fast"])
def test_tanh_gelu_forms_fold(steps, tmp_path):
    onnx.save(formula(steps, TANH_CONSTS), str(tmp_path / "m.onnx"))
    layers = netcalc.load(str(tmp_path / "m.onnx")).spec.layers
    assert layers == [{"gelu": {"name": "g", "approximate": "tanh", "from": "input"}}]


def test_fast_gelu_with_another_constant_is_not_folded(tmp_path):
    onnx.save(formula(FAST, {**TANH_CONSTS, "kappa": 0.05}), str(tmp_path / "m.onnx"))
    with pytest.raises(SpecError, match=r"cannot count: Add x2 \(g/a, g/p\); Mul x3 \(g/h, g/bx, g/kx\)$"):
        netcalc.load(str(tmp_path / "m.onnx"))


def test_a_gelu_whose_inner_value_is_read_elsewhere_is_not_folded(tmp_path):
    """x / sqrt 2 also added to the output: folding would lose it, so the steps stay (the product
    of two activations, g/g, is a multiply layer; the Add after it reads an unknown value)."""
    steps = [*ERF_BY_PRODUCTS[:-1], ("Mul", ["h", "x"], "g"), ("Add", ["g", "s"], "y")]
    onnx.save(formula(steps, ERF_CONSTS), str(tmp_path / "m.onnx"))
    with pytest.raises(
        SpecError, match=r"cannot count: Add x2 \(g/p, g/y\); Erf x1 \(g/e\); Mul x2 \(g/s, g/h\)$"
    ):
        netcalc.load(str(tmp_path / "m.onnx"))


def test_cycle_unknown_operators_and_opset(tmp_path):
    helper = onnx.helper
    cycle = small_model(
        [helper.make_node("Relu", ["x", "b"], ["a"], name="r1"), helper.make_node("Relu", ["a"], ["b"])]
    )
    cycle.graph.node[0].input[:] = ["b"]
    cycle.graph.node[1].output[:] = ["b"]
    cycle.graph.node.append(helper.make_node("Relu", ["b"], ["y"], name="out"))
    onnx.save(cycle, str(tmp_path / "cycle.onnx"))
    with pytest.raises(SpecError, match="cycle"):
        netcalc.load(str(tmp_path / "cycle.onnx"))

    unknown = small_model(
        [
            helper.make_node("Sin", ["x"], ["a"], name="s1"),
            helper.make_node("Cos", ["a"], ["b"], name="c1"),
            helper.make_node("Sin", ["b"], ["y"], name="s2"),
        ]
    )
    onnx.save(unknown, str(tmp_path / "unknown.onnx"))
    with pytest.raises(SpecError, match=r"Cos x1 \(c1\); Sin x2 \(s1, s2\)"):
        netcalc.load(str(tmp_path / "unknown.onnx"))

    old = small_model([helper.make_node("Relu", ["x"], ["y"], name="r")], opset=5)
    onnx.save(old, str(tmp_path / "old.onnx"))
    result = CliRunner().invoke(app, ["count", str(tmp_path / "old.onnx")])
    assert result.exit_code == 1
    assert "opset 5 is not supported" in result.output


def test_a_symbolic_sample_axis_is_an_error(tmp_path):
    helper = onnx.helper
    x = helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", "T"])
    model = small_model([helper.make_node("Relu", ["x"], ["y"], name="r")], inputs=[x])
    onnx.save(model, str(tmp_path / "t.onnx"))
    with pytest.raises(SpecError, match="fixed sizes after the batch axis"):
        netcalc.load(str(tmp_path / "t.onnx"))


def test_devices_directories_and_huge_stdin_are_refused(tmp_path):
    (tmp_path / "dir.onnx").mkdir()
    (tmp_path / "zero.onnx").symlink_to("/dev/zero")
    for name in ("dir.onnx", "zero.onnx"):
        result = CliRunner().invoke(app, ["count", str(tmp_path / name)])
        assert result.exit_code == 1
        assert result.output.strip().endswith("no such file, or not a regular file")


def test_torch_and_import_write_errors(tmp_path):
    # a directory as --output is refused before any work, as run and export refuse it (exit 2)
    result = CliRunner().invoke(app, ["torch", "zoo:lenet5", "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: --output {tmp_path}: is a directory — name the file to write, like "
        f"--output {(tmp_path / 'model.py').as_posix()}"
    ]
    result = CliRunner().invoke(
        app, ["import", str(FIXTURES / "small_cnn.onnx"), "-o", str(tmp_path / "no" / "x")]
    )
    assert result.exit_code == 1
    assert "cannot write: No such file or directory" in result.output


def test_a_scale_is_per_channel_only_where_onnx_broadcasts_it_over_the_channels(tmp_path):
    """ONNX aligns a constant's axes with the input's last ones: (C, 1, 1) and (1, C, 1, 1) scale
    the channels of (N, C, H, W), but (C,) scales W (here C = W = 4), which no netcalc layer does:
    an error naming the Mul, never a layer_scale with the right count and the wrong meaning."""
    helper = onnx.helper
    x = helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", 4, 3, 4])
    y = helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["N", 4, 3, 4])
    for dims, kind in (((4, 1, 1), "layer_scale"), ((1, 4, 1, 1), "layer_scale"), ((4,), None)):
        scale = helper.make_tensor("s", onnx.TensorProto.FLOAT, dims, [1.0] * 4)
        shift = helper.make_tensor("b", onnx.TensorProto.FLOAT, dims, [0.5] * 4)
        nodes = [
            helper.make_node("Mul", ["x", "s"], ["m"], name="bn/mul"),
            helper.make_node("Add", ["m", "b"], ["y"], name="bn/add"),
        ]
        graph = helper.make_graph(nodes, "g", [x], [y], initializer=[scale, shift])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        onnx.save(model, str(tmp_path / "m.onnx"))
        if kind is None:
            with pytest.raises(
                SpecError, match=r"operators netcalc cannot count: Add x1 \(bn/add\); Mul x1 \(bn/mul\)"
            ):
                netcalc.load(str(tmp_path / "m.onnx"))
            continue
        network = netcalc.load(str(tmp_path / "m.onnx"))
        assert network.spec.layers == [{kind: {"bias": True, "name": "bn", "from": "input"}}]
        assert analyze(network).totals.params == 4 + 4  # a scale and a shift per channel


def test_pads_computed_from_constants_are_bounded_and_the_batch_is_never_padded(tmp_path):
    """Pads are read from constants, or computed from constants by at most a few small nodes: a
    ConstantOfShape of 10^9 elements is never made (the Pad is an unknown operator), and pads of
    the batch axis or negative ones (a crop) are not netcalc's pad."""
    helper = onnx.helper
    x = helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", 4, 3])
    y = helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)

    def pad_model(pads_nodes, name="p"):
        nodes = [*pads_nodes, helper.make_node("Pad", ["x", name], ["y"], name="the/Pad")]
        return helper.make_model(
            helper.make_graph(nodes, "g", [x], [y]), opset_imports=[helper.make_opsetid("", 17)]
        )

    def const(name, values):
        return helper.make_node(
            "Constant",
            [],
            [name],
            value=helper.make_tensor(name, onnx.TensorProto.INT64, [len(values)], values),
        )

    cases = {
        "huge": [
            const("n", [10**9]),
            helper.make_node("ConstantOfShape", ["n"], ["p"]),
        ],
        "batch": [const("p", [1, 0, 0, 0, 0, 0])],
        "crop": [const("p", [0, 0, -1, 0, 0, 0])],
    }
    for what, nodes in cases.items():
        onnx.save(pad_model(nodes), str(tmp_path / f"{what}.onnx"))
        with pytest.raises(SpecError, match=r"cannot count: Pad x1 \(the/Pad\)"):
            netcalc.load(str(tmp_path / f"{what}.onnx"))
    # computed: (0, 0, 1) and (0, 2, 0) as Concat of two constants, then a Mul by 1
    computed = [
        const("a", [0, 0, 1]),
        const("b", [0, 2, 0]),
        const("one", [1]),
        helper.make_node("Concat", ["a", "b"], ["ab"], axis=0),
        helper.make_node("Mul", ["ab", "one"], ["p"]),
    ]
    onnx.save(pad_model(computed), str(tmp_path / "m.onnx"))
    network = netcalc.load(str(tmp_path / "m.onnx"))
    assert network.spec.layers[0]["pad"]["padding"] == [[0, 2], [1, 0]]
    assert analyze(network).rows[0].output_shape == (6, 4)


def test_an_output_of_dash_is_stdout(tmp_path, monkeypatch):
    """`-o -` writes to stdout, as `netcalc draw` and `report` take it (a file named '-' was written)."""
    monkeypatch.chdir(tmp_path)
    spec = CliRunner().invoke(app, ["import", str(FIXTURES / "keras_bn.onnx"), "-o", "-"])
    code = CliRunner().invoke(app, ["torch", str(FIXTURES / "keras_bn.onnx"), "-o", "-"])
    assert spec.exit_code == 0 and spec.output.startswith("name: keras_bn\n")
    assert code.exit_code == 0 and "class " in code.output and "wrote" not in code.output
    assert not (tmp_path / "-").exists()


def test_damaged_or_external_constant_data_is_a_one_line_error(tmp_path):
    """A small tensor whose data does not fill its dims (a bias of 8 values declared as 9) raised
    NumPy's ValueError; a Constant whose value lies in an external file named by the model
    ('../../etc/passwd') would have been read from that path. Both are SpecErrors naming the tensor."""
    import numpy as np

    model = onnx.load(str(FIXTURES / "small_cnn.onnx"))
    bias = next(t for t in model.graph.initializer if t.name == "conv.bias")
    assert list(bias.dims) == [8] and bias.raw_data
    bias.dims[0] = 9
    onnx.save(model, str(tmp_path / "damaged.onnx"))
    with pytest.raises(
        SpecError, match=r"the tensor 'conv\.bias' of dims \[9\] cannot be read .*export the model again"
    ):
        netcalc.load(str(tmp_path / "damaged.onnx"))

    value = onnx.numpy_helper.from_array(np.zeros(4, "float32"), "c")
    value.ClearField("raw_data")
    value.data_location = onnx.TensorProto.EXTERNAL
    value.external_data.add(key="location", value="../../etc/passwd")
    nodes = [
        onnx.helper.make_node("Constant", [], ["c"], value=value),
        onnx.helper.make_node("Add", ["x", "c"], ["y"]),
    ]
    onnx.save(small_model(nodes), str(tmp_path / "external.onnx"))
    with pytest.raises(
        SpecError, match=r"the value of 'c' is stored outside the file, .* reads only the file"
    ):
        netcalc.load(str(tmp_path / "external.onnx"))


def _pooled_head(op: str, axes: list[int], keepdims: int, opset: int, path: Path) -> Path:
    """Conv(3 -> 8, 3x3, pad 1) on (N, 3, 16, 16), then `op` over `axes`, as PyTorch writes
    `x.mean((2, 3))` (axes an attribute before opset 18, an input from 18)."""
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    import numpy as np

    x = helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", 3, 16, 16])
    reduced = {a % 4 for a in axes}
    out = [1 if i in reduced else n for i, n in enumerate(["N", 8, 16, 16]) if keepdims or i not in reduced]
    y = helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, out)
    weights = [numpy_helper.from_array(np.zeros((8, 3, 3, 3), "float32"), "w")]
    weights.append(numpy_helper.from_array(np.zeros(8, "float32"), "b"))
    if opset >= 18:
        weights.append(numpy_helper.from_array(np.array(axes, "int64"), "axes"))
        reduce = helper.make_node(op, ["c", "axes"], ["y"], keepdims=keepdims, name="head/Reduce")
    else:
        reduce = helper.make_node(op, ["c"], ["y"], axes=axes, keepdims=keepdims, name="head/Reduce")
    conv = helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1], name="conv/Conv")
    graph = helper.make_graph([conv, reduce], "g", [x], [y], initializer=weights)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]), str(path))
    return path


@pytest.mark.parametrize("opset", [17, 18])
@pytest.mark.parametrize(("op", "kind"), [("ReduceMean", "global_avgpool"), ("ReduceMax", "global_maxpool")])
def test_a_reduce_over_the_spatial_axes_is_the_global_pool(op, kind, opset, tmp_path):
    """ReduceMean / ReduceMax over (2, 3) of (N, 8, 16, 16): the global pool (8, 1, 1), and with
    keepdims 0 a flatten after it, (8,). params = conv 8 * 3 * 9 + 8 = 224; MACs = conv
    8 * 16 * 16 * 27 = 55,296, as the GlobalAveragePool / GlobalMaxPool graph counts them."""
    kept = netcalc.load(str(_pooled_head(op, [2, 3], 1, opset, tmp_path / "k.onnx")))
    assert kept.spec.layers[1] == {kind: {"name": "head", "from": "conv"}}
    dropped = netcalc.load(str(_pooled_head(op, [-2, -1], 0, opset, tmp_path / "d.onnx")))
    assert dropped.spec.layers[1:] == [
        {kind: {"name": "head", "from": "conv"}},
        {"flatten": {"name": "head_flatten", "from": "head"}},
    ]
    for network, out in ((kept, (8, 1, 1)), (dropped, (8,))):
        report = analyze(network)
        assert report.totals.params == 8 * 3 * 9 + 8
        assert report.totals.macs == 8 * 16 * 16 * 27
        assert report.rows[-1].output_shape == out


@pytest.mark.parametrize("axes", [[1], [1, 2, 3], [0, 2, 3], [2]])
def test_a_reduce_over_other_axes_is_no_pool(axes, tmp_path):
    """A mean over the channels, over channels and space, over the batch, or over one spatial axis
    of two: no netcalc layer; the operator is named in the error, never a pool."""
    with pytest.raises(SpecError, match=r"operators netcalc cannot count: ReduceMean x1 \(head/Reduce\)$"):
        netcalc.load(str(_pooled_head("ReduceMean", axes, 0, 17, tmp_path / "m.onnx")))


def test_keras_global_average_pooling_1d_is_named_not_counted(tmp_path):
    """tf2onnx writes Keras's GlobalAveragePooling1D on (N, 12, 8) as ReduceMean over axis 1 (the
    tokens), keepdims 0. netcalc has no layer that averages over tokens (its global pools average
    the spatial axes of (C, *spatial)): the operator is named, never a pool over the wrong axis."""
    helper = onnx.helper
    x = helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", 12, 8])
    y = helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["N", 8])
    mean = helper.make_node("ReduceMean", ["x"], ["y"], axes=[1], keepdims=0, name="gap/Mean")
    graph = helper.make_graph([mean], "g", [x], [y])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "t.onnx"))
    with pytest.raises(SpecError, match=r"operators netcalc cannot count: ReduceMean x1 \(gap/Mean\)$"):
        netcalc.load(str(tmp_path / "t.onnx"))


def _one_node_model(path: Path, node: object, shape: list[int], weights: dict[str, tuple[int, ...]]) -> str:
    """A model of one node on a (1, *shape) input, its initializers of these dims (zeros)."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    inits = [numpy_helper.from_array(np.zeros(dims, np.float32), name) for name, dims in weights.items()]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, *shape])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    graph = helper.make_graph([node], "g", [x], [y], initializer=inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return str(path)


@pytest.mark.parametrize(
    ("op", "inputs", "attributes", "shape", "weights", "message"),
    [
        (
            "Conv",
            ["x", "W"],
            {},
            [3, 8, 8],
            {"W": (4, 5, 3, 3)},
            r"'W' has shape \[4, 5, 3, 3\], not \[4, 3, 3, 3\] as an input of 3 channels, groups 1 and its",
        ),
        (
            "Conv",
            ["x", "W", "b"],
            {},
            [3, 8, 8],
            {"W": (4, 3, 3, 3), "b": (9,)},
            r"'b' has shape \[9\], not \[4\] as its 4 filters need \(one bias each\)",
        ),
        (
            "Conv",
            ["x", "W"],
            {"kernel_shape": [5, 5]},
            [3, 8, 8],
            {"W": (4, 3, 3, 3)},
            r"'W' has shape \[4, 3, 3, 3\], not \[4, 3, 5, 5\] as .* and kernel \[5, 5\] need",
        ),
        (
            "BatchNormalization",
            ["x", "s", "b", "m", "v"],
            {},
            [3, 8, 8],
            {n: (7,) for n in "sbmv"},
            r"'s' has shape \[7\], not \[3\] as an input of 3 channels needs",
        ),
        (
            "Gemm",
            ["x", "G"],
            {"transB": 1},
            [8],
            {"G": (5, 99)},
            r"'G' has shape \[5, 99\], not \[5, 8\] as an input of width 8 needs",
        ),
        (
            "MatMul",
            ["x", "G"],
            {},
            [8],
            {"G": (5, 99)},
            r"'G' has shape \[5, 99\], not \[8, 99\] as an input of width 8 needs",
        ),
    ],
)
def test_an_initializer_that_does_not_fit_its_input_is_refused(
    op, inputs, attributes, shape, weights, message, tmp_path
):
    # each was counted from the input and one of the weight's axes: 108 parameters for a Conv whose
    # file holds 180 (and that onnxruntime refuses to run)
    from onnx import helper

    path = _one_node_model(
        tmp_path / "m.onnx", helper.make_node(op, inputs, ["y"], **attributes), shape, weights
    )
    with pytest.raises(
        SpecError, match=rf"m.onnx: {op} node 'y': {message}.* — the model is inconsistent: export it again$"
    ):
        netcalc.load(path)


PRELUS = """
input: [4, 3, 5]
layers:
  - prelu
  - prelu: {parameters: channel}
  - prelu: {num_parameters: 4}
  - prelu: {parameters: element}
  - flatten
  - prelu: {parameters: channel}
"""


def test_netcalc_prelu_export_reads_back_each_slope_form(tmp_path):
    # slopes by hand: 1, C = 4, 4, 4 * 3 * 5 = 60, and 60 after flatten (one per feature)
    network = netcalc.load(PRELUS)
    assert [r.counts.params for r in analyze(network).rows] == [1, 4, 4, 60, 0, 60]
    back = netcalc.load(str(stripped_export(network, tmp_path / "m.onnx")))
    slopes = [
        args["parameters"] for layer in back.spec.layers for kind, args in layer.items() if kind == "prelu"
    ]
    assert slopes == [1, "channel", "channel", "element", "channel"]
    assert analyze(back).to_dict()["totals"] == analyze(network).to_dict()["totals"]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the TorchScript exporter: dynamo needs onnxscript
@pytest.mark.parametrize("slopes", [1, 6])
def test_pytorch_prelu_export_counts_as_pytorch_does(slopes, tmp_path):
    """torch.onnx.export writes nn.PReLU(C)'s slope as a (C, 1, 1) initializer, nn.PReLU()'s as (1,)
    (the Linear's one as (4,) or (1,)): the import's layers hold PyTorch's parameter count."""
    torch = pytest.importorskip("torch")
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(3, 6, 3), nn.PReLU(slopes), nn.Flatten(), nn.Linear(6 * 6 * 6, 4), nn.PReLU(min(slopes, 4))
    )
    path = tmp_path / "m.onnx"
    torch.onnx.export(
        model,
        torch.randn(1, 3, 8, 8),
        str(path),
        dynamo=False,
        input_names=["input"],
        dynamic_axes={"input": {0: "N"}},
    )
    network = netcalc.load(str(path))
    form = 1 if slopes == 1 else "channel"
    assert [a["parameters"] for layer in network.spec.layers for k, a in layer.items() if k == "prelu"] == [
        form
    ] * 2
    # by hand: conv 6 * 3 * 9 + 6 = 168, linear 4 * 216 + 4 = 868, slopes 1 + 1 or 6 + 4
    expected = 168 + 868 + (2 if slopes == 1 else 10)
    assert analyze(network).totals.params == sum(p.numel() for p in model.parameters()) == expected


def test_prelu_slopes_along_another_axis_are_an_error(tmp_path):
    """(W,) slopes broadcast along W of (N, C, H, W): no netcalc prelu holds them."""
    helper = onnx.helper
    x = helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", 4, 3, 5])
    y = helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["N", 4, 3, 5])
    slope = helper.make_tensor("a", onnx.TensorProto.FLOAT, (5,), [0.25] * 5)
    node = helper.make_node("PRelu", ["x", "a"], ["y"], name="act")
    graph = helper.make_graph([node], "g", [x], [y], initializer=[slope])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "m.onnx"))
    with pytest.raises(
        SpecError,
        match=r"PRelu node 'act' has slopes of shape \[5\]: neither one, one per "
        r"channel nor one per element of its input \[4, 3, 5\]",
    ):
        netcalc.load(str(tmp_path / "m.onnx"))


@pytest.mark.parametrize(
    ("op", "weight", "attributes"),
    [
        ("Conv", (4, 3, 3, 3), {"auto_pad": "SAME_LOWER"}),  # was 4x6x6; onnxruntime gives 4x8x8
        ("Conv", (4, 3, 3, 3), {"auto_pad": "WEIRD"}),
        ("MaxPool", None, {"auto_pad": "SAME_LOWER", "kernel_shape": [2, 2]}),
        (
            "ConvTranspose",
            (3, 4, 3, 3),
            {"auto_pad": "SAME_UPPER", "strides": [2, 2]},
        ),  # was 4x17x17, not 16x16
    ],
)
def test_an_auto_pad_netcalc_does_not_write_is_not_read_as_no_padding(op, weight, attributes, tmp_path):
    from onnx import helper

    inputs = ["x", "W"] if weight else ["x"]
    node = helper.make_node(op, inputs, ["y"], **attributes)
    path = _one_node_model(tmp_path / "m.onnx", node, [3, 8, 8], {"W": weight} if weight else {})
    with pytest.raises(SpecError, match=rf"^m.onnx: operators netcalc cannot count: {op} x1 \(y\)$"):
        netcalc.load(path)


def test_an_operator_of_another_domain_is_not_read_as_the_onnx_one(tmp_path):
    # com.evil's Relu was counted as ONNX's Relu
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], domain="com.evil")], "g", [x], [y])
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.evil", 1)]
    onnx.save(helper.make_model(graph, opset_imports=opsets), tmp_path / "m.onnx")
    with pytest.raises(SpecError, match=r"^m.onnx: operators netcalc cannot count: com.evil.Relu x1 \(y\)$"):
        netcalc.load(str(tmp_path / "m.onnx"))


@pytest.mark.parametrize(("axis", "refused"), [(99, True), (-5, True), (3, False), (-1, False)])
def test_a_concat_axis_outside_its_input_is_refused_in_the_files_terms(axis, refused, tmp_path):
    from onnx import helper

    node = helper.make_node("Concat", ["x", "x"], ["y"], axis=axis)
    path = _one_node_model(tmp_path / "m.onnx", node, [3, 8, 8], {})
    if not refused:
        assert netcalc.analyze(path).output_shape == (3, 8, 16)  # the last axis: 8 + 8
        return
    with pytest.raises(SpecError) as error:
        netcalc.load(path)
    assert str(error.value) == (
        f"m.onnx: Concat node 'y': axis {axis} is not an axis of its input of 4 axes (batch included: "
        "-4 to 3) — the model is inconsistent: export it again"
    )


def test_a_graph_without_outputs_or_with_a_string_input_is_one_line(tmp_path):
    from onnx import TensorProto, helper

    def model(name, x_type, outputs):
        x = helper.make_tensor_value_info("x", x_type, [1, 4])
        y = [helper.make_tensor_value_info("y", x_type, [1, 4])] if outputs else []
        graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], y)
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), tmp_path / name)
        return str(tmp_path / name)

    with pytest.raises(SpecError) as error:
        netcalc.load(model("none.onnx", TensorProto.FLOAT, False))
    assert str(error.value) == "none.onnx: the graph has no outputs — export the model with its output"
    with pytest.raises(SpecError) as error:
        netcalc.load(model("text.onnx", TensorProto.STRING, True))
    assert str(error.value).startswith("text.onnx: input 'x' is not a tensor of numbers (a string,")
