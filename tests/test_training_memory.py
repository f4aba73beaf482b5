"""Training memory (netcalc.analysis.training, count --train): figures derived by hand here, and
PyTorch's own saved-tensor bytes for the zoo's models, frozen as published numbers.

TORCH_SAVED was measured by tools/saved_tensors.py (PyTorch 2.13.0, CPU, float32): the module
`netcalc.to_torch` builds from the spec, in training mode, one forward pass of a random batch inside
torch.autograd.graph.saved_tensors_hooks; the bytes of unique saved tensors (by storage data_ptr,
offset and size), parameters excluded, batch-norm running statistics included. The issue's
acceptance is netcalc within 2% of these; today every one is exact.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cases import CASES, spec_dict
from typer.testing import CliRunner

import netcalc
from netcalc import engine
from netcalc.analysis.training import training_memory
from netcalc.cli import app
from netcalc.layers import LAYERS, Layer

TORCH_SAVED: dict[tuple[str, int], int] = {
    ("alexnet", 1): 3_741_184,
    ("alexnet", 4): 14_964_736,
    ("convnext_tiny", 1): 109_155_808,
    ("convnext_tiny", 4): 436_623_232,
    ("efficientnet_b0", 1): 88_530_144,
    ("efficientnet_b0", 4): 353_112_192,
    ("inception_v3", 1): 98_582_060,
    ("inception_v3", 4): 393_458_864,
    ("lenet5", 1): 49_040,
    ("lenet5", 4): 196_160,
    ("mobilenet_v2", 1): 78_482_432,
    ("mobilenet_v2", 4): 313_111_040,
    ("mobilenet_v3_small", 1): 16_266_720,
    ("mobilenet_v3_small", 4): 64_776_192,
    ("resnet18", 1): 22_256_640,  # torchvision's ResNet-18 keeps the same (the issue's figure)
    ("resnet18", 4): 88_796_160,
    ("resnet50", 1): 86_334_464,
    ("resnet50", 4): 344_062_976,
    ("shufflenet_v2_x1_0", 1): 19_195_712,
    ("shufflenet_v2_x1_0", 4): 76_394_528,
    ("unet", 1): 727_380_032,
    ("unet", 4): 2_909_520_128,
    ("vgg16", 1): 73_355_264,
    ("vgg16", 4): 293_421_056,
    ("vit_b_16", 1): 117_558_568,  # not a CNN: attention's rule is checked too
    ("vit_b_16", 2): 235_117_136,
}

runner = CliRunner()


def train(spec: Any, batch: int = 1, **options: str) -> Any:
    network = netcalc.load(spec)
    return training_memory(network, engine.rows(network), batch, **options)


@pytest.mark.parametrize(("name", "batch"), list(TORCH_SAVED), ids=lambda v: str(v))
def test_saved_tensors_match_pytorch(name: str, batch: int) -> None:
    ours = train(f"zoo:{name}", batch).saved
    torch_bytes = TORCH_SAVED[(name, batch)]
    assert abs(ours / torch_bytes - 1) < 0.02
    assert ours == torch_bytes


# A small Llama 3 (zoo:llama3_8b with the arguments in its header: grouped-query attention written
# out by `netcalc torch`, RMSNorm, SwiGLU), measured the same way (--set ...).
SMALL_LLAMA = {
    "layers": 2,
    "dim": 64,
    "heads": 4,
    "kv_heads": 2,
    "head_dim": 16,
    "ffn": 128,
    "vocab": 1000,
    "context": 32,
}
TORCH_SAVED_LLAMA = {1: 353_152, 2: 706_304}


@pytest.mark.parametrize("batch", list(TORCH_SAVED_LLAMA))
def test_small_llama_matches_pytorch(batch: int) -> None:
    network = netcalc.load("zoo:llama3_8b", args=SMALL_LLAMA)
    assert training_memory(network, engine.rows(network), batch).saved == TORCH_SAVED_LLAMA[batch]


def test_the_issue_figure_for_resnet18() -> None:
    assert train("zoo:resnet18").saved == 22_256_640


# A small CNN, every figure derived by hand. Input 1x8x8, batch 2, fp32 (4 bytes).
SMALL = {
    "name": "small",
    "input": [1, 8, 8],
    "layers": [
        {"conv2d": {"filters": 4, "kernel": 3, "padding": 1, "bias": False}},  # keeps its input: 64
        {"batchnorm": {}},  # keeps the conv's output 256; mean, invstd 4 + 4; running stats 4 + 4
        {"relu": {}},  # keeps its output: 256
        {"maxpool2d": {"size": 2}},  # keeps the relu's output (kept already); int64 indices 64
        {"flatten": {}},  # a view
        {"dropout": {"rate": 0.5}},  # its mask: 64
        {"dense": {"units": 10}},  # keeps the dropout's output: 64
    ],
}
SMALL_PARAMS = 4 * 9 + 2 * 4 + 64 * 10 + 10  # conv, batchnorm, dense = 694
SMALL_STATE = 2 * 4


def test_small_cnn_saved_by_hand() -> None:
    t = train(SMALL, batch=2)
    floats = (64 + 256 + 256 + 64 + 64) * 2 * 4  # per sample elements * batch * bytes
    indices = 64 * 2 * 8
    stats, buffers = 8 * 4, 8 * 4  # per channel, not per sample
    assert t.saved == floats + indices + stats + buffers == 6_720
    assert t.activations == t.saved - buffers
    assert [layer.saved for layer in t.layers] == [
        64 * 2 * 4,
        256 * 2 * 4 + stats + buffers,
        256 * 2 * 4,
        indices,
        0,
        64 * 2 * 4,
        64 * 2 * 4,
    ]


def test_breakdown_adam_fp32_by_hand() -> None:
    t = train(SMALL, batch=2)
    assert t.weights == SMALL_PARAMS * 4 + SMALL_STATE * 4
    assert t.gradients == SMALL_PARAMS * 4
    assert t.master_weights == 0
    assert t.optimizer_state == SMALL_PARAMS * 4 * 2  # exp_avg, exp_avg_sq
    assert t.total == 2_808 + 2_776 + 5_552 + 6_688


@pytest.mark.parametrize(("optimizer", "buffers"), [("sgd", 0), ("momentum", 1), ("adam", 2), ("adamw", 2)])
def test_optimizer_state(optimizer: str, buffers: int) -> None:
    assert train(SMALL, optimizer=optimizer).optimizer_state == SMALL_PARAMS * 4 * buffers


@pytest.mark.parametrize("precision", ["bf16-mixed", "fp16-mixed"])
def test_mixed_precision_by_hand(precision: str) -> None:
    t = train(SMALL, batch=2, precision=precision)
    assert t.weights == SMALL_PARAMS * 2 + SMALL_STATE * 4
    assert t.gradients == SMALL_PARAMS * 2
    assert t.master_weights == SMALL_PARAMS * 4
    assert t.optimizer_state == SMALL_PARAMS * 4 * 2
    # 2-byte activations; int64 indices and float32 statistics keep their widths
    assert t.saved == (64 + 256 + 256 + 64 + 64) * 2 * 2 + 64 * 2 * 8 + 32 + 32


def test_nothing_saved_before_the_first_parameter() -> None:
    spec = {
        "name": "n",
        "input": [2, 4, 4],
        "layers": [{"relu": {}}, {"dropout": {}}, {"conv2d": {"filters": 1, "kernel": 1}}],
    }
    t = train(spec)
    assert [layer.saved for layer in t.layers] == [0, 0, 2 * 16 * 4]  # no gradient reaches the input


def test_a_view_is_the_tensor_it_views() -> None:
    spec = {
        "name": "v",
        "input": [6],
        "layers": [
            {"dense": {"units": 4}},
            {"relu": {}},
            {"reshape": {"shape": [2, 2]}},
            {"flatten": {}},
            {"dense": {"units": 1}},
        ],
    }
    t = train(spec)
    assert [layer.saved for layer in t.layers] == [
        6 * 4,
        4 * 4,
        0,
        0,
        0,
    ]  # the last dense keeps relu's output


# Checkpointing, by hand: dense 4 -> 8, then two blocks of (dense relu, dense relu, dense), dense 2.
CHECKPOINTED = {
    "name": "ck",
    "input": [4],
    "blocks": {
        "mlp": {
            "layers": [
                {"dense": {"units": 8, "activation": "relu"}},
                {"dense": {"units": 8, "activation": "relu"}},
                {"dense": {"units": 8}},
            ]
        }
    },
    "layers": [{"dense": {"units": 8}}, {"mlp": {"repeat": 2, "name": "body"}}, {"dense": {"units": 2}}],
}


def test_checkpoint_blocks_by_hand() -> None:
    block = 8 + 8 + 8  # its input, two relu outputs (the third dense reads the second's)
    assert train(CHECKPOINTED).activations == (4 + 2 * block + 8) * 4
    # kept: the first dense's input, each block's input, the last dense's input; one block recomputed
    assert train(CHECKPOINTED, checkpoint="blocks").activations == (4 + 8 + 8 + 8 + block) * 4
    assert train(CHECKPOINTED, checkpoint="blocks").recompute == block * 4


# PyTorch's forward pass with torch.utils.checkpoint(use_reentrant=False) around each top-level
# block (each instance of a repeat) of the to_torch module, batch 2, float32: the bytes of unique
# saved tensors outside the checkpoints, buffers left out (tools/saved_tensors.py --checkpoint).
TORCH_CHECKPOINTED = {
    ("resnet18", 2): 24_691_200,
    ("resnet50", 2): 62_235_136,
    ("mobilenet_v2", 2): 9_014_528,
    ("inception_v3", 2): 68_176_856,
    ("unet", 2): 457_134_208,
    ("vit_b_16", 2): 16_948_304,
}


@pytest.mark.parametrize(("name", "batch"), list(TORCH_CHECKPOINTED), ids=lambda v: str(v))
def test_checkpointed_forward_matches_pytorch(name: str, batch: int) -> None:
    t = train(f"zoo:{name}", batch, checkpoint="blocks")
    assert t.activations - t.recompute == TORCH_CHECKPOINTED[(name, batch)]
    assert 0 < t.recompute < t.activations < train(f"zoo:{name}", batch).activations


def test_kv_cache_of_vit() -> None:
    kv = train("zoo:vit_b_16", batch=3).kv_cache
    assert kv is not None
    assert kv.layers == 12
    assert kv.per_token == 12 * 2 * 768 * 4
    assert kv.total == 12 * 2 * 768 * 4 * 197 * 3
    assert train("zoo:resnet18").kv_cache is None


# Every case of the layer table (tests/cases.py) as `spec_dict` builds it, batch 2, measured the
# same way (tools/saved_tensors.py on each case's spec). Where the case's layer is the first, no
# gradient reaches its input, so it keeps only what its parameters' gradients need.
TORCH_SAVED_CASES: dict[str, int] = {
    "dense_mnist": 6_272,
    "dense_article_hidden_no_bias": 16,
    "dense_pytorch_aliases": 32,
    "dense_tokens_vit_mlp": 1_210_368,
    "dense_last_axis_of_chw": 960,
    "dense_in_features_check": 48,
    "conv2d_article_same": 34_078_720,
    "conv2d_k3_s2_p1": 1_204_224,
    "conv2d_resnet_stem_aliases": 1_204_224,
    "conv2d_valid_lenet": 8_192,
    "conv2d_kernel_padding_lists": 1_920,
    "conv2d_stride_list": 648,
    "conv2d_same_even_kernel": 1_152,
    "conv2d_same_stride2_odd": 1_176,
    "conv2d_same_stride2_even_kernel": 1_024,
    "conv2d_same_dilated": 800,
    "conv2d_dilation": 800,
    "conv2d_groups": 16_384,
    "conv2d_depthwise": 3_211_264,
    "conv2d_asymmetric_1x7": 18_496,
    "conv2d_in_channels_check": 600,
    "conv2d_pointwise": 12_544,
    "conv1d_k5_s2_p2": 12_800,
    "conv1d_same_even_kernel": 352,
    "conv1d_activation_no_bias": 320,
    "conv1d_dilation": 320,
    "conv1d_same_stride2": 288,
    "conv3d_lists": 4_816_896,
    "conv3d_same_groups": 1_920,
    "conv3d_dilation_list": 4_440,
    "conv3d_valid_stride": 4_096,
    "conv_transpose2d_k2_s2": 131_072,
    "conv_transpose2d_output_padding": 3_136,
    "conv_transpose2d_groups": 800,
    "conv_transpose2d_lists": 576,
    "conv_transpose1d_k4_s2_p1": 320,
    "conv_transpose1d_groups_output_padding": 624,
    "conv_transpose2d_dilation": 1_792,
    "conv_transpose1d_dilation": 64,
    "conv_transpose3d_everything": 5_504,
    "conv_transpose3d_k2_s2": 768,
    "maxpool2d_112_to_56": 0,
    "maxpool2d_default_stride": 0,
    "maxpool2d_floor": 0,
    "maxpool2d_ceil": 0,
    "maxpool2d_ceil_drops_window_in_padding": 0,
    "maxpool2d_alexnet_ceil_exact": 0,
    "maxpool2d_dilation": 0,
    "maxpool2d_lists": 0,
    "maxpool1d": 0,
    "maxpool1d_ceil": 0,
    "maxpool1d_ceil_drops_window": 0,
    "maxpool1d_dilation": 0,
    "maxpool3d": 0,
    "maxpool3d_lists": 0,
    "maxpool3d_ceil_dilation": 0,
    "avgpool2d_padding": 0,
    "avgpool2d_ceil": 0,
    "avgpool2d_floor": 0,
    "avgpool1d": 0,
    "maxpool2d_same_keras": 0,
    "maxpool2d_valid_keras": 0,
    "avgpool2d_same_keras": 0,
    "avgpool1d_valid_ceil": 0,
    "avgpool1d_same_stride_over_size": 0,
    "avgpool1d_stride_padding": 0,
    "avgpool1d_ceil": 0,
    "avgpool3d_lists": 0,
    "avgpool3d_stride_padding": 0,
    "avgpool3d_ceil": 0,
    "adaptive_avgpool2d_alexnet": 0,
    "adaptive_avgpool2d_list": 0,
    "adaptive_avgpool1d": 0,
    "adaptive_avgpool3d": 0,
    "global_avgpool_2d": 0,
    "global_avgpool_3d": 0,
    "global_maxpool_1d": 0,
    "global_maxpool_2d": 0,
    "upsample_nearest_scale2": 0,
    "upsample_nearest_scale1_5": 0,
    "upsample_scale_list": 0,
    "upsample_bilinear_size": 0,
    "upsample_bilinear_scale": 0,
    "upsample_nearest_size_1d": 0,
    "upsample_linear_1d": 0,
    "upsample_trilinear": 0,
    "flatten_chw": 0,
    "flatten_vector": 0,
    "reshape_minus_one": 0,
    "reshape_minus_one_first": 0,
    "reshape_exact": 0,
    "permute_2d": 0,
    "permute_3d": 0,
    "slice_first_half": 0,
    "slice_second_half": 0,
    "slice_stop_alias_negative": 0,
    "slice_negative_start": 0,
    "select_class_token": 0,
    "select_negative_index": 0,
    "pad_spatial_int": 0,
    "pad_pairs_value": 0,
    "pad_channels_3d": 0,
    "center_crop_unet": 0,
    "center_crop_list": 0,
    "channel_shuffle": 0,
    "dropout": 0,
    "dropout_p_alias": 0,
    "stochastic_depth": 0,
    "stochastic_depth_batch": 0,
    "batchnorm_2d": 1_606_656,
    "batchnorm_1d_features": 240,
    "batchnorm_no_affine": 0,
    "layernorm_tokens": 1_213_520,
    "layernorm_last_axis": 672,
    "layernorm_no_affine": 0,
    "layernorm_whole_sample": 976,
    "layernorm_two_axes_no_affine": 0,
    "rmsnorm_llama3": 524_288,
    "rmsnorm_no_weight": 0,
    "rmsnorm_torch_name": 80,
    "groupnorm_unet": 262_656,
    "groupnorm_no_affine": 0,
    "groupnorm_one_group_3d": 976,
    "instancenorm_default": 0,
    "instancenorm_affine_1d": 416,
    "layer_scale_convnext": 2_408_448,
    "add_residual": 0,
    "add_three": 0,
    "multiply_se_gate": 8_200,
    "multiply_outer": 40,
    "multiply_rank_broadcast": 488,
    "matmul_attention_scores": 2_568,
    "matmul_broadcast": 248,
    "concat_channels": 8,
    "concat_last_axis": 8,
    "concat_axis1_three": 8,
    "relu_chw": 0,
    "relu6_chw": 0,
    "leaky_relu_chw": 0,
    "sigmoid_chw": 0,
    "tanh_chw": 0,
    "softmax_chw": 0,
    "log_softmax_chw": 0,
    "gelu_chw": 0,
    "silu_chw": 0,
    "elu_chw": 0,
    "hardswish_chw": 0,
    "hardsigmoid_chw": 0,
    "relu_vector": 0,
    "leaky_relu_slope": 0,
    "leaky_relu_keras_alpha": 0,
    "softmax_last_axis": 0,
    "softmax_dim_alias": 0,
    "log_softmax_last_axis": 0,
    "log_softmax_dim_alias": 0,
    "gelu_tanh": 0,
    "elu_alpha": 0,
    # prelu keeps its input (PyTorch's PreluKernelBackward: self and weight, a parameter), even the
    # network's input: its slopes need the gradient. Batch 2, float32: 2 * elements * 4
    "prelu_one": 2 * 64 * 28 * 28 * 4,
    "prelu_channel": 401_408,
    "prelu_torch_num_parameters": 2 * 32 * 10 * 4,
    "prelu_keras_element": 6_272,
    "prelu_vector_channel": 80,
    "prelu_element_3d": 960,
    "class_token_vit": 0,
    "pos_embedding_vit": 0,
    "pos_embedding_bert_length": 0,
    "embedding_small": 192,
    "embedding_torch_names": 80,
    "embedding_keras_names": 16,
    "attention_vit_b16": 6_070_752,
    "attention_no_bias": 3_360,
    "attention_dropout": 5_600,
    "attention_causal": 57_856,
    "attention_gqa": 19_200,
    "attention_mqa": 16_128,
    "attention_head_dim": 5_952,
    "attention_bias_qkv_gqa": 7_168,
    "attention_bias_qv_out": 7_168,
    "attention_cross": 5_864,
    "attention_cross_kdim": 6_536,
    "attention_windows_relative_bias": 1_152_872,
    "attention_relative_bias_t5": 19_360,
    "attention_cross_gqa_causal_windows": 7_496,
}

# spec_dict makes each extra input of a three-way concat by flatten -> slice [0:1] -> dense: two
# equal slices of the input, one tensor to PyTorch's (data_ptr, offset, size) count, two to netcalc
SAME_SLICE_TWICE = {"concat_axis1_three": 8}


@pytest.mark.parametrize("case", [c for c in CASES if c.id in TORCH_SAVED_CASES], ids=lambda c: c.id)
def test_each_case_matches_pytorch(case: Any) -> None:
    ours = train(spec_dict(case), batch=2).saved
    assert ours == TORCH_SAVED_CASES[case.id] + SAME_SLICE_TWICE.get(case.id, 0)


def test_every_layer_states_its_rule() -> None:
    for cls in LAYERS:
        assert cls.saved is not Layer.saved, f"{cls.__name__} has no saved() rule"
        assert "saved" in (cls.__doc__ or ""), f"{cls.__name__}'s docstring does not state what it saves"


def test_library_function() -> None:
    t = netcalc.training_memory("zoo:lenet5", batch=4, optimizer="sgd")
    assert t.saved == TORCH_SAVED[("lenet5", 4)]
    with pytest.raises(netcalc.UsageError, match="unknown precision 'fp8': use one of fp32, bf16-mixed"):
        netcalc.training_memory("zoo:lenet5", precision="fp8")


def test_cli_train_table_and_json() -> None:
    result = runner.invoke(app, ["count", "zoo:resnet18", "--train"])
    assert result.exit_code == 0, result.output
    assert "Saved activations" in result.output and "22,256,640" in result.output
    result = runner.invoke(
        app, ["count", "zoo:lenet5", "--train", "-b", "4", "--optimizer", "sgd", "-f", "json"]
    )
    data = json.loads(result.output)
    assert data["saved_tensors"] == TORCH_SAVED[("lenet5", 4)]
    assert data["optimizer_state"] == 0
    assert data["total"] == data["weights"] + data["gradients"] + data["activations"]


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["--precision", "fp8"], "fp8"),
        (["--optimizer", "lion"], "lion"),
        (["--convention", "torchinfo"], "drop --convention"),
        (["-f", "csv"], "train does not write csv"),
    ],
)
def test_cli_train_usage_errors(args: list[str], phrase: str) -> None:
    result = runner.invoke(app, ["count", "zoo:lenet5", "--train", *args])
    assert result.exit_code == 2
    assert phrase in result.output


def test_the_json_layers_speak_as_count_does():
    # count's JSON calls a layer's kind "type"; the training JSON's per-layer bytes say their unit
    import json

    from typer.testing import CliRunner

    from netcalc.cli import app

    out = CliRunner().invoke(app, ["count", "zoo:lenet5", "--train", "--format", "json"]).output
    data = json.loads(out)
    first = data["layers"][0]
    assert set(first) == {"index", "name", "type", "saved_bytes", "tensors"}
    assert (first["type"], first["saved_bytes"]) == ("conv2d", 4096)  # the input: 1 x 32 x 32 x 4 bytes
    assert sum(layer["saved_bytes"] for layer in data["layers"]) == data["activations"]


def test_the_command_line_offers_exactly_the_passs_choices() -> None:
    # guard: the options' choices are typer enums beside the tables the pass reads; a new optimizer,
    # precision or checkpoint mode added to one must be added to the other
    from netcalc.analysis.training import CHECKPOINTS, OPTIMIZERS, PRECISIONS
    from netcalc.cli.count import Checkpoint, Optimizer, Precision

    assert [o.value for o in Optimizer] == list(OPTIMIZERS)
    assert [p.value for p in Precision] == list(PRECISIONS)
    assert [c.value for c in Checkpoint] == list(CHECKPOINTS)


def test_checkpointed_block_keeps_token_ids_at_8_bytes() -> None:
    spec = {
        "name": "embblk",
        "input": [10],
        "blocks": {"stem": {"layers": [{"embedding": {"vocab": 100, "dim": 4}}, {"dense": {"units": 3}}]}},
        "layers": ["stem", {"dense": {"units": 2}}],
    }
    network = netcalc.load(spec)
    t = training_memory(network, netcalc.analyze(network).rows, checkpoint="blocks")
    # outside the block: the block's input (10 ids, int64) and the last dense's input (10x3 fp32);
    # recomputed: the embedding's ids and the block's dense input (10x4 fp32)
    assert t.recompute == 10 * 8 + 40 * 4
    assert t.activations == (10 * 8 + 30 * 4) + t.recompute


def test_prelu_after_a_convolution_keeps_each_input() -> None:
    """Measured by tools/saved_tensors.py (PyTorch 2.13.0, CPU): 3,072 bytes at batch 1. By hand:
    the convolution keeps the input, 3 * 8 * 8 * 4 = 768; each of the four prelus (one slope, per
    channel twice, per element) its input, 4 * 6 * 6 * 4 = 576."""
    spec = (
        "input: [3, 8, 8]\nlayers:\n  - conv2d: {filters: 4, kernel: 3}\n  - prelu\n"
        "  - prelu: {parameters: channel}\n  - prelu: {num_parameters: 4}\n  - prelu: {parameters: element}\n"
    )
    assert train(spec).saved == 768 + 4 * 576 == 3_072
    assert train(spec, batch=3).saved == 3 * 3_072
