"""The spec format: blocks, names, `from`, loading from every source, dtype, batch, depth, JSON."""

import copy
import json
from math import prod
from pathlib import Path

import pytest

import netcalc
from netcalc.layers import BatchNorm, Conv2d, Dense, Flatten, ReLU
from netcalc.render import visible
from netcalc.report import GroupRow, Row
from netcalc.spec import Block

ROOT = Path(__file__).resolve().parent.parent
TINY_RESNET = ROOT / "specs" / "examples" / "tiny-resnet.yaml"


def rows_by_name(spec) -> dict[str, Row]:
    return {r.name: r for r in netcalc.analyze(netcalc.load(spec)).rows}


# ------------------------------------------------------------------------------------ blocks

UNET = """\
name: mini-unet
input: [3, 16, 16]
blocks:
  cbr:
    args: {filters: null, stride: 1}   # null: required
    layers:
      - conv2d: {filters: $filters, kernel: 3, stride: $stride, padding: 1, bias: false, name: conv}
      - batchnorm
      - relu
  down:
    args: [width]                      # a list: every argument required
    layers:
      - cbr: {filters: $width * 2, name: body}
      - maxpool2d: {size: 2}
layers:
  - down: {width: 2, name: enc1}
  - down: {width: 4, name: enc2}
  - cbr: {filters: 16, name: mid}
  - concat: {from: [-1, enc2]}
  - conv_transpose2d: {filters: 8, kernel: 2, stride: 2, name: up}
  - concat: {from: [-1, enc1], name: skip1}
  - relu: {from: enc2.body.conv}
"""


def test_nested_blocks_arithmetic_defaults_and_scoped_names():
    rows = rows_by_name(UNET)
    # down(width=2) -> cbr(filters=2*2=4): conv 3 -> 4 channels, 3x3, no bias, stride default 1
    assert rows["enc1.body.conv"].output_shape == (4, 16, 16)
    assert rows["enc1.body.conv"].tensors == {"weight": 4 * 3 * 3 * 3}
    assert rows["enc1.body.batchnorm_1"].state_tensors == {"running_mean": 4, "running_var": 4}
    assert rows["enc1.maxpool2d_1"].output_shape == (4, 8, 8)
    # down(width=4) -> cbr(filters=8) on 4 channels
    assert rows["enc2.body.conv"].tensors == {"weight": 8 * 4 * 3 * 3}
    assert rows["enc2.maxpool2d_1"].output_shape == (8, 4, 4)
    assert rows["mid.conv"].output_shape == (16, 4, 4)


def test_block_instance_names_are_usable_in_from_unet_style():
    rows = rows_by_name(UNET)
    # concat [-1, enc2]: mid (16, 4, 4) + enc2's output (8, 4, 4) -> 16 + 8 channels
    assert rows["concat_1"].inputs == ("mid.relu_1", "enc2.maxpool2d_1")
    assert rows["concat_1"].output_shape == (16 + 8, 4, 4)
    # up: (4 - 1) * 2 + 1 + 1 = 8; concat with enc1's output (4, 8, 8) -> 8 + 4 channels
    assert rows["up"].output_shape == (8, 8, 8)
    assert rows["skip1"].inputs == ("up", "enc1.maxpool2d_1")
    assert rows["skip1"].output_shape == (8 + 4, 8, 8)
    # a scoped name reaches inside an instance
    assert rows["relu_1"].inputs == ("enc2.body.conv",)


def test_block_groups_nest_with_subtotals():
    report = netcalc.analyze(netcalc.load(UNET))
    groups = {g.name: g for g in report.groups}
    assert list(groups) == ["enc1", "enc1.body", "enc2", "enc2.body", "mid"]
    assert (groups["enc1.body"].parent, groups["enc1.body"].depth) == ("enc1", 1)
    assert (groups["enc1"].first, groups["enc1"].last) == (0, 3)
    assert groups["enc1"].output_shape == (4, 8, 8)
    # enc1 params: conv 4*3*3*3 + batchnorm 2*4; state: 2*4
    assert groups["enc1"].counts.params == 4 * 3 * 3 * 3 + 2 * 4
    assert groups["enc1"].counts.state == 2 * 4
    assert groups["enc1"].counts.macs == 4 * 16 * 16 * 3 * 3 * 3


def test_repeat_naming_and_groups():
    report = netcalc.analyze(netcalc.load(TINY_RESNET))
    names = [r.name for r in report.rows]
    assert names[:3] == ["stem", "residual.1.a", "residual.1.batchnorm_1"]
    assert "residual.2.a" in names and "residual.3.a" not in names
    add = next(r for r in report.rows if r.name == "residual.2.add_1")
    # `input` inside a block is the block instance's input: residual.1's output
    assert add.inputs == ("residual.2.batchnorm_2", "residual.1.relu_2")
    groups = {g.name: g for g in report.groups}
    assert groups["residual"].repeat == 2
    assert groups["residual.1"].parent == groups["residual.2"].parent == "residual"
    # each repeat: two convs 16*16*3*3 (no bias) + two batchnorms 2*16
    per_repeat = 2 * (16 * 16 * 3 * 3) + 2 * (2 * 16)
    assert groups["residual.1"].counts.params == per_repeat
    assert groups["residual"].counts.params == 2 * per_repeat
    # stem 16*3*3*3 + 16; dense 16*10 + 10
    assert report.params == (16 * 3 * 3 * 3 + 16) + 2 * per_repeat + (16 * 10 + 10)


def test_repeat_group_and_instance_names_in_from():
    spec = {
        "input": [4],
        "blocks": {"fc": {"args": {"units": 4}, "layers": [{"dense": {"units": "$units"}}, "relu"]}},
        "layers": [
            {"fc": {"repeat": 3, "name": "trunk"}},
            {"add": {"from": ["trunk", "trunk.1"]}},
            {"concat": {"from": ["trunk.2", "input", -2]}},
        ],
    }
    rows = rows_by_name(spec)
    assert rows["add_1"].inputs == ("trunk.3.relu_1", "trunk.1.relu_1")
    assert rows["concat_1"].inputs == ("trunk.2.relu_1", "input", "trunk.3.relu_1")
    assert rows["concat_1"].output_shape == (4 + 4 + 4,)


def test_arithmetic_in_block_arguments():
    spec = {
        "input": [8],
        "blocks": {
            "mlp": {
                "args": {"width": 3},
                "layers": [
                    {"dense": {"units": "$width * 4", "name": "up"}},
                    {"dense": {"units": "($width + 1) // 2", "name": "mid"}},
                    {"dense": {"units": "$width ** 2 - $width % 2", "name": "sq"}},
                    {"dropout": {"rate": "$width / 10"}},
                ],
            }
        },
        "layers": [{"mlp": {"width": 5}}],
    }
    rows = rows_by_name(spec)
    assert rows["mlp.up"].output_shape == (5 * 4,)
    assert rows["mlp.mid"].output_shape == ((5 + 1) // 2,)
    assert rows["mlp.sq"].output_shape == (5**2 - 5 % 2,)
    assert netcalc.load(spec).blocks["mlp"].defaults() == {"width": 3}


def test_block_argument_default_is_used():
    spec = {
        "input": [2],
        "blocks": {"fc": {"args": {"units": 7}, "layers": [{"dense": {"units": "$units"}}]}},
        "layers": ["fc", {"fc": {"units": 3}}],
    }
    rows = rows_by_name(spec)
    assert rows["fc_1.dense_1"].output_shape == (7,)
    assert rows["fc_2.dense_1"].output_shape == (3,)


# ------------------------------------------------------------------------------------ from


def test_from_names_offsets_input_and_lists():
    spec = {
        "input": [4, 8, 8],
        "layers": [
            {"conv2d": {"filters": 4, "kernel": 1, "name": "a"}},
            {"relu": {"name": "b"}},
            {"sigmoid": {"from": -2}},  # a
            {"add": {"from": [-1, "b", "input", "a"]}},
            {"tanh": {"from": "input"}},
            {"multiply": {"from": [-1, -2]}},
        ],
    }
    rows = rows_by_name(spec)
    assert rows["sigmoid_1"].inputs == ("a",)
    assert rows["add_1"].inputs == ("sigmoid_1", "b", "input", "a")
    assert rows["tanh_1"].inputs == ("input",)
    assert rows["multiply_1"].inputs == ("tanh_1", "add_1")


def test_from_defaults_to_the_previous_layer():
    rows = rows_by_name({"input": [3], "layers": ["relu", "tanh", "sigmoid"]})
    assert [r.inputs for r in rows.values()] == [("input",), ("relu_1",), ("tanh_1",)]


# ------------------------------------------------------------------------------------ names


def test_auto_names_count_per_kind_and_skip_given_names():
    spec = {
        "input": [3],
        "layers": [
            "relu",
            {"dense": {"units": 3}},
            {"relu": {"name": "relu_2"}},  # a given name that an automatic one would take
            "relu",
            {"dense": {"units": 3, "name": "head"}},
            "dense",
        ],
    }
    with pytest.raises(netcalc.SpecError):  # `dense` alone lacks units: keep the case honest
        netcalc.load(spec)
    spec["layers"][-1] = {"dense": {"units": 2}}
    names = list(rows_by_name(spec))
    assert names == ["relu_1", "dense_1", "relu_2", "relu_3", "head", "dense_2"]


def test_a_block_used_once_is_named_after_it_and_twice_numbered():
    block = {"layers": ["relu"]}
    once = rows_by_name({"input": [2], "blocks": {"act": block}, "layers": ["act"]})
    assert list(once) == ["act.relu_1"]
    twice = rows_by_name({"input": [2], "blocks": {"act": block}, "layers": ["act", "act"]})
    assert list(twice) == ["act_1.relu_1", "act_2.relu_1"]


# ------------------------------------------------------------------------------------ loading

SMALL = {"name": "small", "input": [3, 8, 8], "layers": [{"conv2d": {"filters": 2, "kernel": 3}}]}
SMALL_PARAMS = 2 * 3 * 3 * 3 + 2


def test_load_from_dict_str_path_and_json(tmp_path):
    assert netcalc.analyze(netcalc.load(SMALL)).params == SMALL_PARAMS
    text = "name: small\ninput: [3, 8, 8]\nlayers:\n  - conv2d: {filters: 2, kernel: 3}\n"
    assert netcalc.analyze(netcalc.load(text)).params == SMALL_PARAMS
    one_line = '{"input": [3, 8, 8], "layers": [{"conv2d": {"filters": 2, "kernel": 3}}]}'
    assert netcalc.analyze(netcalc.load(one_line)).params == SMALL_PARAMS
    yaml_path = tmp_path / "small.yaml"
    yaml_path.write_text(text)
    json_path = tmp_path / "small.json"
    json_path.write_text(json.dumps(SMALL, indent=2))
    for source in (yaml_path, str(yaml_path), json_path, str(json_path)):
        spec = netcalc.load(source)
        assert netcalc.analyze(spec).params == SMALL_PARAMS
        assert spec.source == str(source)


def test_load_does_not_change_the_dict():
    spec = {
        "input": [2],
        "blocks": {"b": {"args": {"n": 2}, "layers": [{"dense": {"units": "$n"}}]}},
        "layers": [{"b": {"n": 3, "repeat": 2}}],
    }
    before = copy.deepcopy(spec)
    netcalc.analyze(netcalc.load(spec))
    assert spec == before


def test_json_spec_errors_name_the_line(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{\n  "input": [3],\n  "layers": [\n    "relu",\n  ]\n}\n')
    with pytest.raises(netcalc.SpecError, match=r"bad\.json:5: invalid JSON"):
        netcalc.load(path)


def test_spec_built_in_python_from_layer_models():
    spec = netcalc.Spec(input=[1, 28, 28], layers=[Conv2d(filters=8, kernel=3), Flatten(), Dense(units=10)])
    report = netcalc.analyze(spec)
    # conv: 28 - 3 + 1 = 26; 8 * 1 * 3 * 3 + 8; dense: 8 * 26 * 26 inputs * 10 + 10
    assert [r.output_shape for r in report.rows] == [(8, 26, 26), (8 * 26 * 26,), (10,)]
    assert [r.name for r in report.rows] == ["conv2d_1", "flatten_1", "dense_1"]
    assert report.params == (8 * 1 * 3 * 3 + 8) + (8 * 26 * 26 * 10 + 10)
    assert report.totals.macs == 8 * 26 * 26 * 1 * 3 * 3 + 8 * 26 * 26 * 10


def test_python_spec_mixes_models_dicts_blocks_names_and_from():
    spec = netcalc.Spec(
        name="py",
        input=[3, 8, 8],
        blocks={
            "cbr": Block(args={"f": 4}, layers=[{"conv2d": {"filters": "$f", "kernel": 1}}, "batchnorm"])
        },
        layers=[
            Conv2d(filters=4, kernel=3, padding="same", name="stem"),
            {"cbr": {"f": 4, "repeat": 2}},
            BatchNorm(),
            ReLU(**{"from": "stem"}),
            {"add": {"from": [-1, -2]}},
        ],
    )
    rows = {r.name: r for r in netcalc.analyze(spec).rows}
    assert rows["cbr.2.conv2d_1"].tensors == {"weight": 4 * 4 * 1 * 1, "bias": 4}
    assert rows["relu_1"].inputs == ("stem",)
    assert rows["add_1"].inputs == ("relu_1", "batchnorm_1")
    assert rows["add_1"].output_shape == (4, 8, 8)


# ------------------------------------------------------------------------------------ figures


@pytest.mark.parametrize(
    "dtype, size",
    [("float64", 8), ("float32", 4), ("float16", 2), ("bfloat16", 2), ("int8", 1), ("uint8", 1)],
)
def test_dtype_sets_the_bytes_of_memory(dtype, size):
    report = netcalc.analyze(netcalc.load({**SMALL, "dtype": dtype}))
    outputs = 2 * 6 * 6  # conv 3x3 valid on 8x8 -> 6x6, 2 filters
    assert report.dtype == dtype
    assert report.memory.input == 3 * 8 * 8 * size
    assert report.memory.params == SMALL_PARAMS * size
    assert report.memory.activations == outputs * size
    assert report.memory.total == (3 * 8 * 8 + SMALL_PARAMS + outputs) * size


def test_dtype_defaults_to_float32_and_state_counts_in_memory():
    report = netcalc.analyze(netcalc.load({"input": [4, 2, 2], "layers": ["batchnorm"]}))
    assert report.dtype == "float32"
    # weight + bias (trainable) and running mean + var (state), 4 channels each, 4 bytes
    assert (report.totals.params, report.totals.state) == (2 * 4, 2 * 4)
    assert report.params_with_state == 4 * 4
    assert report.memory.params == (2 * 4 + 2 * 4) * 4


def test_batch_scales_macs_activations_and_memory_not_params():
    spec = netcalc.load(SMALL)
    one, eight = netcalc.analyze(spec), netcalc.analyze(spec, batch=8)
    macs = 2 * 6 * 6 * 3 * 3 * 3
    assert one.totals.macs == eight.totals.macs == macs  # totals stay per sample
    d1, d8 = one.to_dict()["totals"], eight.to_dict()["totals"]
    assert (d1["macs"], d8["macs"]) == (macs, 8 * macs)
    assert d8["flops"] == 2 * 8 * macs
    assert d8["activations"] == 8 * 2 * 6 * 6
    assert d8["params"] == d1["params"] == SMALL_PARAMS
    assert eight.memory.input == 8 * 3 * 8 * 8 * 4
    assert eight.memory.activations == 8 * 2 * 6 * 6 * 4
    assert eight.memory.params == one.memory.params == SMALL_PARAMS * 4
    assert eight.memory.total == (8 * 3 * 8 * 8 + SMALL_PARAMS + 8 * 2 * 6 * 6) * 4


@pytest.mark.parametrize("batch", [0, -1, 1.5, "2", True])
def test_batch_must_be_a_positive_whole_number(batch):
    with pytest.raises(netcalc.NetcalcError, match="batch must be a positive whole number"):
        netcalc.analyze(netcalc.load(SMALL), batch=batch)


def test_depth_collapses_deeper_groups():
    report = netcalc.analyze(netcalc.load(TINY_RESNET))

    def names(depth):
        return [(type(line).__name__, line.name) for line in visible(report, depth)]

    everything = names(None)
    assert len([n for n in everything if n[0] == "Row"]) == len(report.rows)
    assert [n for n in everything if n[0] == "GroupRow"] == [
        ("GroupRow", "residual"),
        ("GroupRow", "residual.1"),
        ("GroupRow", "residual.2"),
    ]
    tail = [("Row", n) for n in ("maxpool2d_1", "global_avgpool_1", "flatten_1", "dense_1", "softmax_1")]
    assert names(0) == [("Row", "stem"), ("GroupRow", "residual"), *tail]
    assert names(1) == [
        ("Row", "stem"),
        ("GroupRow", "residual"),
        ("GroupRow", "residual.1"),
        ("GroupRow", "residual.2"),
        *tail,
    ]
    assert names(2) == everything
    assert all(isinstance(line, Row | GroupRow) for line in visible(report, 0))


def test_a_layer_whose_output_is_never_used_warns():
    spec = {
        "input": [3, 4, 4],
        "layers": [{"conv2d": {"filters": 2, "kernel": 1, "name": "lost"}}, {"relu": {"from": "input"}}],
    }
    report = netcalc.analyze(netcalc.load(spec))
    assert len(report.warnings) == 1
    assert report.warnings[0].startswith("layer 0 'conv2d' (lost): its output is never used")
    assert report.params == 2 * 3 + 2  # still counted
    assert netcalc.analyze(netcalc.load(SMALL)).warnings == ()
    assert netcalc.analyze(netcalc.load(TINY_RESNET)).warnings == ()


def test_json_structure():
    data = netcalc.analyze(netcalc.load(TINY_RESNET), batch=2).to_dict()
    assert set(data) == {
        "netcalc_json",
        "name",
        "description",
        "source",
        "input_shape",
        "output_shape",
        "dtype",
        "batch",
        "totals",
        "layers",
        "groups",
        "warnings",
    }
    assert data["netcalc_json"] == 1
    assert (data["input_shape"], data["output_shape"], data["batch"]) == ([3, 32, 32], [10], 2)
    assert set(data["totals"]) == {
        "params",
        "trainable_params",
        "non_trainable_params",
        "params_with_state",
        "neurons",
        "macs",
        "flops",
        "activations",
        "memory_bytes",
    }
    assert set(data["totals"]["memory_bytes"]) == {"input", "params", "activations", "total"}
    assert set(data["layers"][0]) == {
        "index",
        "name",
        "type",
        "depth",
        "groups",
        "inputs",
        "input_shapes",
        "output_shape",
        "tensors",
        "non_trainable_tensors",
        "training_only",
        "params",
        "non_trainable_params",
        "neurons",
        "macs",
        "activations",
        "receptive_field",  # added by #9 (count --format json shows each layer's field)
    }
    assert set(data["groups"][0]) == {
        "name",
        "block",
        "depth",
        "parent",
        "repeat",
        "first_layer",
        "last_layer",
        "output_shape",
        "training_only",
        "params",
        "non_trainable_params",
        "neurons",
        "macs",
        "activations",
    }
    assert data["layers"][1]["groups"] == ["residual", "residual.1"]
    assert data["layers"][1]["tensors"] == {"weight": 16 * 16 * 3 * 3}
    assert data["totals"]["params"] == sum(layer["params"] for layer in data["layers"])
    assert data["totals"]["neurons"] == sum(layer["neurons"] for layer in data["layers"])
    assert data["totals"]["activations"] == 2 * sum(prod(la["output_shape"]) for la in data["layers"])
    json.dumps(data)  # plain JSON types only


def test_training_only_branch_counts_parameters_but_not_inference_cost():
    """An auxiliary classifier (Inception's AuxLogits): params count, MACs/activations don't."""
    spec = netcalc.load(
        "input: [8]\n"
        "blocks:\n"
        "  aux:\n"
        "    layers:\n"
        "      - dense: {units: 4}\n"
        "      - dense: {units: 2}\n"
        "layers:\n"
        "  - dense: {units: 16, name: trunk}\n"
        "  - aux: {name: side, training_only: true}\n"
        "  - dense: {units: 3, from: trunk}\n"
        "  - dense: {units: 5, training_only: true, name: probe}\n"
        "  - relu: {from: -2}\n"
    )
    report = netcalc.analyze(spec)
    flags = {r.name: r.training_only for r in report.rows}
    assert flags == {
        "trunk": False,
        "side.dense_1": True,
        "side.dense_2": True,
        "dense_1": False,
        "probe": True,
        "relu_1": False,
    }
    trunk, aux1, aux2, main, probe = 8 * 16 + 16, 16 * 4 + 4, 4 * 2 + 2, 16 * 3 + 3, 3 * 5 + 5
    assert report.params == trunk + aux1 + aux2 + main + probe
    assert report.totals.macs == 8 * 16 + 16 * 3  # inference: trunk and main only
    assert report.totals.neurons == 16 + 3
    assert report.totals.activations == 16 + 3 + 3  # trunk, main, relu
    side = next(g for g in report.groups if g.name == "side")
    assert side.training_only and side.counts.macs == 16 * 4 + 4 * 2  # its own cost is shown
    assert not report.warnings  # unused training-only outputs are expected, not warned about
    assert report.to_dict()["layers"][1]["training_only"] is True


def test_training_only_must_be_a_boolean():
    with pytest.raises(netcalc.SpecError, match="training_only is true or false"):
        netcalc.load("input: [2]\nblocks:\n  b: {layers: [relu]}\nlayers:\n  - b: {training_only: 1}\n")
    with pytest.raises(netcalc.SpecError, match="training_only"):
        netcalc.load({"input": [2], "layers": [{"relu": {"training_only": "yes"}}]})


def test_a_block_argument_can_choose_a_layer_type():
    spec = netcalc.load(
        "input: [8, 4, 4]\n"
        "blocks:\n"
        "  cba:\n"
        "    args: {filters: 8, act: relu, norm: batchnorm}\n"
        "    layers:\n"
        "      - conv2d: {filters: $filters, kernel: 1}\n"
        "      - $norm: {eps: 0.001}\n"
        "      - $act\n"
        "layers:\n"
        "  - cba: {act: hardswish}\n"
        "  - cba: {filters: 4, norm: layernorm}\n"
    )
    report = netcalc.analyze(spec)
    assert [(r.name, r.kind) for r in report.rows] == [
        ("cba_1.conv2d_1", "conv2d"),
        ("cba_1.batchnorm_1", "batchnorm"),
        ("cba_1.hardswish_1", "hardswish"),
        ("cba_2.conv2d_1", "conv2d"),
        ("cba_2.layernorm_1", "layernorm"),
        ("cba_2.relu_1", "relu"),
    ]
    # batchnorm on 8 channels: 2 * 8 params; layernorm on the last axis (W = 4): 2 * 4
    assert [r.counts.params for r in report.rows if "norm" in r.kind] == [2 * 8, 2 * 4]
    with pytest.raises(netcalc.SpecError, match=r"must be a type name like 'relu' \(got 3\)"):
        netcalc.load("input: [3]\nblocks:\n  b:\n    args: {n: 3}\n    layers: [$n]\nlayers: [b]\n")


def test_arithmetic_has_max_and_min_but_nothing_else_callable():
    from netcalc.spec.arith import ArithError, evaluate

    # torchvision's _make_divisible(16 // 4, 8) = max(8, int(4 + 4) // 8 * 8) = 8
    assert evaluate("max(8, ($c // 4 + 4) // 8 * 8)", {"c": 16}) == 8
    assert evaluate("min($a, 3) * 2", {"a": 5}) == 6
    for text in ("print($a)", "max()", "max($a, key=1)", "$a.__class__", "__import__('os')"):
        with pytest.raises(ArithError, match="is not arithmetic over"):
            evaluate(text, {"a": 1})
