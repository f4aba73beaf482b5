"""The layer case table: one known answer per line, every expected value derived by hand here.

CASES is a plain list of `Case` records (a frozen dataclass; `dataclasses.asdict` gives a dict):

    id       unique name, used as the pytest id
    kind     the layer type as written in a spec (a key of netcalc.layers.BY_KIND)
    args     the layer's arguments exactly as a spec writes them (aliases included)
    inputs   the per-sample input shape(s), channels first, batch implicit: [(C, H, W)] or, for
             merge layers, one shape per input
    shape    expected output shape
    params   expected trainable tensors, {name: elements}
    state    expected non-trainable tensors (batchnorm running statistics), {name: elements}
    neurons  expected neurons: output elements of weighted sums (dense, conv, conv_transpose,
             attention), 0 for everything else
    macs     expected multiply-accumulates of the weighted sums, bias adds excluded

The formulas are PyTorch's (torch.nn docs), written out per case:
    conv:        out = floor((L + 2p - d * (k - 1) - 1) / s) + 1
                 weight = filters * (C / groups) * prod(k);  MACs = out elements * (C / groups) * prod(k)
    conv 'same': stride 1 is PyTorch's 'same'; stride > 1 is TF/Keras SAME: out = ceil(L / s)
    transposed:  out = (L - 1) * s - 2p + d * (k - 1) + output_padding + 1
                 weight = C * (filters / groups) * prod(k);  MACs = in elements * (filters / groups) * prod(k)
    pooling:     the conv rule; with ceil_mode, ceil instead of floor, and a last window that would
                 start in the right padding (start >= L + p) is dropped
    upsample:    out = floor(L * scale)

`spec_dict(case)` builds a spec with the case's layer as its last layer, for tests that run a case
through the engine (tests/test_layers.py) or through the NumPy backend.

Import it as `from cases import CASES` (pytest puts tests/ on sys.path: tests is not a package).
The table is kept out of `ruff format` (fmt: off) so that a case stays one or two lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod

import netcalc.layers


@dataclass(frozen=True)
class Case:
    """One layer on given input shapes, with its expected output shape and counts."""

    id: str
    kind: str
    args: dict
    inputs: list[tuple[int, ...]]
    shape: tuple[int, ...]
    params: dict[str, int] = field(default_factory=dict)
    state: dict[str, int] = field(default_factory=dict)
    neurons: int = 0
    macs: int = 0


def spec_dict(case: Case) -> dict:
    """A spec whose input is the case's first input and whose last layer is the case's layer.

    An extra input of a merge layer with the first input's shape is the input itself; any other
    is made from the input cheaply, by flatten -> slice [0:1] -> dense (prod(shape) weights) ->
    reshape, a branch named in1, in2, .... The layer under test is the report's last row, named
    'under_test'.
    """
    layers: list = []
    refs: list = ["input"]
    for j, shape in enumerate(case.inputs[1:], start=1):
        if shape == case.inputs[0]:
            refs.append("input")
            continue
        layers += [
            {"flatten": {"from": "input"}},
            {"slice": {"end": 1}},
            {"dense": {"units": prod(shape), "bias": False}},
            {"reshape": {"shape": list(shape), "name": f"in{j}"}},
        ]
        refs.append(f"in{j}")
    args = {**case.args, "name": "under_test", "from": refs if len(refs) > 1 else "input"}
    layers.append({case.kind: args})
    return {"name": case.id, "input": list(case.inputs[0]), "layers": layers}


# fmt: off
ACTIVATIONS = [cls.kind for cls in netcalc.layers.ACTIVATIONS]  # the one list: the layer list


CASES: list[Case] = [
    # ---------------------------------------------------------------------------- dense
    Case("dense_mnist", "dense", {"units": 10}, [(784,)], (10,), {"weight": 10 * 784, "bias": 10}, neurons=10,
         macs=784 * 10),
    Case("dense_article_hidden_no_bias", "dense", {"units": 2, "bias": False}, [(2,)], (2,),
         {"weight": 2 * 2}, neurons=2, macs=2 * 2),
    Case("dense_pytorch_aliases", "dense", {"out_features": 5, "use_bias": False}, [(4,)], (5,),
         {"weight": 5 * 4}, neurons=5, macs=4 * 5),
    Case("dense_tokens_vit_mlp", "dense", {"units": 3072}, [(197, 768)], (197, 3072),
         {"weight": 3072 * 768, "bias": 3072}, neurons=197 * 3072, macs=197 * 768 * 3072),
    # dense acts on the last axis of (C, H, W), like torch.nn.Linear
    Case("dense_last_axis_of_chw", "dense", {"units": 2, "activation": "relu"}, [(3, 4, 8)], (3, 4, 2),
         {"weight": 2 * 8, "bias": 2}, neurons=3 * 4 * 2, macs=3 * 4 * 8 * 2),
    Case("dense_in_features_check", "dense", {"units": 3, "in_features": 6}, [(6,)], (3,),
         {"weight": 3 * 6, "bias": 3}, neurons=3, macs=6 * 3),
    # ---------------------------------------------------------------------------- conv2d
    # the article: 64 3x3 filters, 'same', on a 256x256 grayscale image
    Case("conv2d_article_same", "conv2d",
         {"filters": 64, "kernel": 3, "padding": "same", "activation": "relu"}, [(1, 256, 256)],
         (64, 256, 256), {"weight": 64 * 1 * 3 * 3, "bias": 64}, neurons=64 * 256 * 256,
         macs=64 * 256 * 256 * 1 * 3 * 3),
    # 224 -> floor((224 + 2*1 - 3) / 2) + 1 = 111 + 1 = 112
    Case("conv2d_k3_s2_p1", "conv2d", {"filters": 64, "kernel": 3, "stride": 2, "padding": 1},
         [(3, 224, 224)], (64, 112, 112), {"weight": 64 * 3 * 3 * 3, "bias": 64}, neurons=64 * 112 * 112,
         macs=64 * 112 * 112 * 3 * 3 * 3),
    # ResNet stem: floor((224 + 2*3 - 7) / 2) + 1 = 111 + 1 = 112; 118,013,952 MACs (torchvision)
    Case("conv2d_resnet_stem_aliases", "conv2d",
         {"out_channels": 64, "kernel_size": 7, "strides": 2, "padding": 3, "use_bias": False},
         [(3, 224, 224)], (64, 112, 112), {"weight": 64 * 3 * 7 * 7}, neurons=64 * 112 * 112,
         macs=64 * 112 * 112 * 3 * 7 * 7),
    # 'valid': 32 - 5 + 1 = 28
    Case("conv2d_valid_lenet", "conv2d", {"filters": 6, "kernel": 5, "padding": "valid"}, [(1, 32, 32)],
         (6, 28, 28), {"weight": 6 * 1 * 5 * 5, "bias": 6}, neurons=6 * 28 * 28,
         macs=6 * 28 * 28 * 1 * 5 * 5),
    # lists: H = 10 + 2*1 - 3 + 1 = 10, W = 12 + 2*2 - 5 + 1 = 12
    Case("conv2d_kernel_padding_lists", "conv2d", {"filters": 4, "kernel": [3, 5], "padding": [1, 2]},
         [(2, 10, 12)], (4, 10, 12), {"weight": 4 * 2 * 3 * 5, "bias": 4}, neurons=4 * 10 * 12,
         macs=4 * 10 * 12 * 2 * 3 * 5),
    # stride list: H = floor((9 - 3) / 2) + 1 = 4, W = (9 - 3) / 1 + 1 = 7
    Case("conv2d_stride_list", "conv2d", {"filters": 2, "kernel": 3, "stride": [2, 1]}, [(1, 9, 9)],
         (2, 4, 7), {"weight": 2 * 1 * 3 * 3, "bias": 2}, neurons=2 * 4 * 7, macs=2 * 4 * 7 * 1 * 3 * 3),
    # 'same', stride 1, even kernel 4: total pad 3 = 1 before + 2 after, out = in
    Case("conv2d_same_even_kernel", "conv2d", {"filters": 8, "kernel": 4, "padding": "same"}, [(1, 9, 9)],
         (8, 9, 9), {"weight": 8 * 1 * 4 * 4, "bias": 8}, neurons=8 * 9 * 9, macs=8 * 9 * 9 * 1 * 4 * 4),
    # 'same', stride 2 (TF SAME): out = ceil(7 / 2) = 4; total pad = (4-1)*2 + 3 - 7 = 2
    Case("conv2d_same_stride2_odd", "conv2d", {"filters": 8, "kernel": 3, "stride": 2, "padding": "same"},
         [(3, 7, 7)], (8, 4, 4), {"weight": 8 * 3 * 3 * 3, "bias": 8}, neurons=8 * 4 * 4,
         macs=8 * 4 * 4 * 3 * 3 * 3),
    # 'same', stride 2, even kernel: out = ceil(8 / 2) = 4; total pad = (4-1)*2 + 4 - 8 = 2
    Case("conv2d_same_stride2_even_kernel", "conv2d",
         {"filters": 4, "kernel": 4, "stride": 2, "padding": "same", "bias": False}, [(2, 8, 8)], (4, 4, 4),
         {"weight": 4 * 2 * 4 * 4}, neurons=4 * 4 * 4, macs=4 * 4 * 4 * 2 * 4 * 4),
    # 'same' with dilation 2: span 5, total pad 4, out = in
    Case("conv2d_same_dilated", "conv2d", {"filters": 3, "kernel": 3, "dilation": 2, "padding": "same"},
         [(1, 10, 10)], (3, 10, 10), {"weight": 3 * 1 * 3 * 3, "bias": 3}, neurons=3 * 10 * 10,
         macs=3 * 10 * 10 * 1 * 3 * 3),
    # dilation 2, no padding: span 2*(3-1)+1 = 5, out = 10 - 5 + 1 = 6
    Case("conv2d_dilation", "conv2d", {"filters": 2, "kernel": 3, "dilation_rate": 2}, [(1, 10, 10)],
         (2, 6, 6), {"weight": 2 * 1 * 3 * 3, "bias": 2}, neurons=2 * 6 * 6, macs=2 * 6 * 6 * 1 * 3 * 3),
    # groups 4: each filter sees 8 / 4 = 2 channels
    Case("conv2d_groups", "conv2d", {"filters": 16, "kernel": 3, "padding": 1, "groups": 4}, [(8, 16, 16)],
         (16, 16, 16), {"weight": 16 * (8 // 4) * 3 * 3, "bias": 16}, neurons=16 * 16 * 16,
         macs=16 * 16 * 16 * (8 // 4) * 3 * 3),
    # depthwise (MobileNet): groups = channels = filters, one 3x3 per channel
    Case("conv2d_depthwise", "conv2d",
         {"filters": 32, "kernel": 3, "padding": 1, "groups": 32, "bias": False}, [(32, 112, 112)],
         (32, 112, 112), {"weight": 32 * (32 // 32) * 3 * 3}, neurons=32 * 112 * 112,
         macs=32 * 112 * 112 * 1 * 3 * 3),
    # asymmetric 1x7 (Inception): W = 17 + 2*3 - 7 + 1 = 17
    Case("conv2d_asymmetric_1x7", "conv2d", {"filters": 8, "kernel": [1, 7], "padding": [0, 3]},
         [(8, 17, 17)], (8, 17, 17), {"weight": 8 * 8 * 1 * 7, "bias": 8}, neurons=8 * 17 * 17,
         macs=8 * 17 * 17 * 8 * 1 * 7),
    # 5 + 2*1 - 3 + 1 = 5
    Case("conv2d_in_channels_check", "conv2d", {"filters": 8, "kernel": 3, "padding": 1, "in_channels": 3},
         [(3, 5, 5)], (8, 5, 5), {"weight": 8 * 3 * 3 * 3, "bias": 8}, neurons=8 * 5 * 5,
         macs=8 * 5 * 5 * 3 * 3 * 3),
    # 1x1 pointwise: MACs = out elements * C
    Case("conv2d_pointwise", "conv2d", {"filters": 64, "kernel": 1}, [(32, 7, 7)], (64, 7, 7),
         {"weight": 64 * 32 * 1 * 1, "bias": 64}, neurons=64 * 7 * 7, macs=64 * 7 * 7 * 32),
    # ---------------------------------------------------------------------------- conv1d
    # floor((100 + 2*2 - 5) / 2) + 1 = 49 + 1 = 50
    Case("conv1d_k5_s2_p2", "conv1d", {"filters": 32, "kernel": 5, "stride": 2, "padding": 2}, [(16, 100)],
         (32, 50), {"weight": 32 * 16 * 5, "bias": 32}, neurons=32 * 50, macs=32 * 50 * 16 * 5),
    # 'same', even kernel 2: total pad 1 (0 before, 1 after), out = in
    Case("conv1d_same_even_kernel", "conv1d", {"filters": 2, "kernel": 2, "padding": "same"}, [(4, 10)],
         (2, 10), {"weight": 2 * 4 * 2, "bias": 2}, neurons=2 * 10, macs=2 * 10 * 4 * 2),
    # 8 - 3 + 1 = 6; activation and in_channels only annotate and check: counts as without them
    Case("conv1d_activation_no_bias", "conv1d",
         {"filters": 4, "kernel": 3, "bias": False, "activation": "gelu", "in_channels": 2}, [(2, 8)], (4, 6),
         {"weight": 4 * 2 * 3}, neurons=4 * 6, macs=4 * 6 * 2 * 3),
    # dilation 3: span 3*(3-1)+1 = 7, out = 20 - 7 + 1 = 14
    Case("conv1d_dilation", "conv1d", {"filters": 3, "kernel": 3, "dilation": 3}, [(2, 20)], (3, 14),
         {"weight": 3 * 2 * 3, "bias": 3}, neurons=3 * 14, macs=3 * 14 * 2 * 3),
    # 'same', stride 2 (TF SAME): out = ceil(9 / 2) = 5
    Case("conv1d_same_stride2", "conv1d",
         {"filters": 2, "kernel": 3, "stride": 2, "padding": "same", "groups": 2}, [(4, 9)], (2, 5),
         {"weight": 2 * (4 // 2) * 3, "bias": 2}, neurons=2 * 5, macs=2 * 5 * (4 // 2) * 3),
    # ---------------------------------------------------------------------------- conv3d
    # (2+1)D-style stem: D = 16 + 2 - 3 + 1 = 16; H = floor((112 + 6 - 7) / 2) + 1 = 55 + 1 = 56
    Case("conv3d_lists", "conv3d",
         {"filters": 64, "kernel": [3, 7, 7], "stride": [1, 2, 2], "padding": [1, 3, 3]}, [(3, 16, 112, 112)],
         (64, 16, 56, 56), {"weight": 64 * 3 * 3 * 7 * 7, "bias": 64}, neurons=64 * 16 * 56 * 56,
         macs=64 * 16 * 56 * 56 * 3 * 3 * 7 * 7),
    Case("conv3d_same_groups", "conv3d",
         {"filters": 4, "kernel": 3, "padding": "same", "groups": 2, "bias": False}, [(2, 4, 5, 6)],
         (4, 4, 5, 6), {"weight": 4 * (2 // 2) * 3 * 3 * 3}, neurons=4 * 4 * 5 * 6,
         macs=4 * 4 * 5 * 6 * 1 * 3 * 3 * 3),
    # D: 5 - 3 + 1 = 3; H, W: span 2*(3-1)+1 = 5, 9 - 5 + 1 = 5
    Case("conv3d_dilation_list", "conv3d",
         {"filters": 2, "kernel": 3, "dilation": [1, 2, 2], "activation": "relu", "in_channels": 1},
         [(1, 5, 9, 9)], (2, 3, 5, 5), {"weight": 2 * 1 * 3 * 3 * 3, "bias": 2}, neurons=2 * 3 * 5 * 5,
         macs=2 * 3 * 5 * 5 * 1 * 3 * 3 * 3),
    # valid, stride 2: floor((8 - 2) / 2) + 1 = 4
    Case("conv3d_valid_stride", "conv3d", {"filters": 2, "kernel": 2, "stride": 2, "padding": "valid"},
         [(1, 8, 8, 8)], (2, 4, 4, 4), {"weight": 2 * 1 * 2 * 2 * 2, "bias": 2}, neurons=2 * 4 * 4 * 4,
         macs=2 * 4 * 4 * 4 * 1 * 2 * 2 * 2),
    # ---------------------------------------------------------------------------- transposed
    # U-Net up-conv: (16 - 1) * 2 - 0 + 1 * (2 - 1) + 0 + 1 = 32
    Case("conv_transpose2d_k2_s2", "conv_transpose2d", {"filters": 32, "kernel": 2, "stride": 2},
         [(64, 16, 16)], (32, 32, 32), {"weight": 64 * 32 * 2 * 2, "bias": 32}, neurons=32 * 32 * 32,
         macs=64 * 16 * 16 * 32 * 2 * 2),
    # (7 - 1) * 2 - 2*1 + (3 - 1) + 1 + 1 = 14
    Case("conv_transpose2d_output_padding", "conv_transpose2d",
         {"filters": 4, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1}, [(8, 7, 7)],
         (4, 14, 14), {"weight": 8 * 4 * 3 * 3, "bias": 4}, neurons=4 * 14 * 14, macs=8 * 7 * 7 * 4 * 3 * 3),
    # groups 2: weight (C, filters / groups, kh, kw) = (4, 3, 3, 3); out = (5 - 1) + 2 + 1 = 7
    Case("conv_transpose2d_groups", "conv_transpose2d", {"out_channels": 6, "kernel_size": 3, "groups": 2},
         [(4, 5, 5)], (6, 7, 7), {"weight": 4 * (6 // 2) * 3 * 3, "bias": 6}, neurons=6 * 7 * 7,
         macs=4 * 5 * 5 * (6 // 2) * 3 * 3),
    # lists: H = (4 - 1) * 2 - 0 + 1 + 0 + 1 = 8, W = (6 - 1) * 1 - 2*1 + 2 + 0 + 1 = 6
    Case("conv_transpose2d_lists", "conv_transpose2d",
         {"filters": 2, "kernel": [2, 3], "stride": [2, 1], "padding": [0, 1], "bias": False}, [(3, 4, 6)],
         (2, 8, 6), {"weight": 3 * 2 * 2 * 3}, neurons=2 * 8 * 6, macs=3 * 4 * 6 * 2 * 2 * 3),
    # (10 - 1) * 2 - 2*1 + (4 - 1) + 0 + 1 = 20
    Case("conv_transpose1d_k4_s2_p1", "conv_transpose1d",
         {"filters": 2, "kernel": 4, "stride": 2, "padding": 1}, [(4, 10)], (2, 20),
         {"weight": 4 * 2 * 4, "bias": 2}, neurons=2 * 20, macs=4 * 10 * 2 * 4),
    # (5 - 1) * 2 - 0 + (3 - 1) + 1 + 1 = 12; weight (6, 4 / 2, 3)
    Case("conv_transpose1d_groups_output_padding", "conv_transpose1d",
         {"filters": 4, "kernel": 3, "stride": 2, "output_padding": 1, "groups": 2, "bias": False,
          "activation": "relu", "in_channels": 6},
         [(6, 5)], (4, 12), {"weight": 6 * (4 // 2) * 3}, neurons=4 * 12, macs=6 * 5 * (4 // 2) * 3),
    # dilation 2: (4 - 1) * 1 + 2 * (3 - 1) + 1 = 8
    Case("conv_transpose2d_dilation", "conv_transpose2d",
         {"filters": 3, "kernel": 3, "dilation": 2, "in_channels": 2, "activation": "sigmoid"}, [(2, 4, 4)],
         (3, 8, 8), {"weight": 2 * 3 * 3 * 3, "bias": 3}, neurons=3 * 8 * 8, macs=2 * 4 * 4 * 3 * 3 * 3),
    # dilation 2: (4 - 1) * 1 + 2 * (3 - 1) + 1 = 8
    Case("conv_transpose1d_dilation", "conv_transpose1d", {"filters": 3, "kernel": 3, "dilation": 2},
         [(2, 4)], (3, 8), {"weight": 2 * 3 * 3, "bias": 3}, neurons=3 * 8, macs=2 * 4 * 3 * 3),
    # D: (2-1)*2 - 2*1 + (3-1) + 1 + 1 = 4; H: (3-1)*2 - 2 + 2 + 0 + 1 = 5; W: (4-1)*2 - 2 + 2 + 1 + 1 = 8
    Case("conv_transpose3d_everything", "conv_transpose3d",
         {"filters": 4, "kernel": 3, "stride": 2, "padding": 1, "output_padding": [1, 0, 1], "dilation": 1,
          "groups": 2, "bias": False, "in_channels": 2, "activation": "relu"},
         [(2, 2, 3, 4)], (4, 4, 5, 8), {"weight": 2 * (4 // 2) * 3 * 3 * 3}, neurons=4 * 4 * 5 * 8,
         macs=2 * 2 * 3 * 4 * (4 // 2) * 3 * 3 * 3),
    # (3 - 1) * 2 + 1 + 1 = 6; (4 - 1) * 2 + 1 + 1 = 8
    Case("conv_transpose3d_k2_s2", "conv_transpose3d", {"filters": 4, "kernel": 2, "stride": 2},
         [(2, 3, 4, 4)], (4, 6, 8, 8), {"weight": 2 * 4 * 2 * 2 * 2, "bias": 4}, neurons=4 * 6 * 8 * 8,
         macs=2 * 3 * 4 * 4 * 4 * 2 * 2 * 2),
    # ---------------------------------------------------------------------------- max pooling
    # ResNet: floor((112 + 2*1 - 3) / 2) + 1 = 55 + 1 = 56
    Case("maxpool2d_112_to_56", "maxpool2d", {"size": 3, "stride": 2, "padding": 1}, [(64, 112, 112)],
         (64, 56, 56)),
    # stride defaults to the size: 32 / 2 = 16
    Case("maxpool2d_default_stride", "maxpool2d", {"pool_size": 2}, [(16, 32, 32)], (16, 16, 16)),
    # floor((5 - 2) / 2) + 1 = 2
    Case("maxpool2d_floor", "maxpool2d", {"size": 2, "ceil_mode": False}, [(1, 5, 5)], (1, 2, 2)),
    # ceil((5 - 2) / 2) + 1 = 3; last window starts at 4 < 5: kept
    Case("maxpool2d_ceil", "maxpool2d", {"size": 2, "ceil_mode": True}, [(1, 5, 5)], (1, 3, 3)),
    # L=5, k=2, s=2, p=1: ceil((5 + 2 - 2) / 2) + 1 = 4, but window 4 would start at 3*2 = 6
    # >= L + p = 6, i.e. in the right padding: dropped -> 3 (floor would give 2 + 1 = 3 too)
    Case("maxpool2d_ceil_drops_window_in_padding", "maxpool2d",
         {"size": 2, "stride": 2, "padding": 1, "ceil_mode": True}, [(1, 5, 5)], (1, 3, 3)),
    # AlexNet: floor((55 - 3) / 2) + 1 = 27; ceil gives the same (52 / 2 is whole)
    Case("maxpool2d_alexnet_ceil_exact", "maxpool2d", {"kernel_size": 3, "strides": 2, "ceil_mode": True},
         [(64, 55, 55)], (64, 27, 27)),
    # dilation 2: span 5, stride 1: 10 - 5 + 1 = 6
    Case("maxpool2d_dilation", "maxpool2d", {"size": 3, "stride": 1, "dilation": 2}, [(1, 10, 10)],
         (1, 6, 6)),
    # per-axis lists: H = floor((7 + 2*1 - 2) / 2) + 1 = 4, W = floor((9 + 0 - 3) / 3) + 1 = 3
    Case("maxpool2d_lists", "maxpool2d", {"size": [2, 3], "stride": [2, 3], "padding": [1, 0]}, [(2, 7, 9)],
         (2, 4, 3)),
    # floor((9 - 3) / 2) + 1 = 4
    Case("maxpool1d", "maxpool1d", {"size": 3, "stride": 2}, [(4, 9)], (4, 4)),
    # ceil((10 - 3) / 2) + 1 = 5; last window starts at 8 < 10: kept (floor would give 4)
    Case("maxpool1d_ceil", "maxpool1d", {"size": 3, "stride": 2, "ceil_mode": True}, [(4, 10)], (4, 5)),
    # L=4, k=2, s=3, p=1: ceil((4 + 2 - 2) / 3) + 1 = 3, window 3 starts at 6 >= 4 + 1: dropped -> 2
    Case("maxpool1d_ceil_drops_window", "maxpool1d",
         {"size": 2, "stride": 3, "padding": 1, "ceil_mode": True}, [(1, 4)], (1, 2)),
    # dilation 3: span 3*(2-1)+1 = 4, 10 - 4 + 1 = 7
    Case("maxpool1d_dilation", "maxpool1d", {"size": 2, "stride": 1, "dilation": 3}, [(1, 10)], (1, 7)),
    Case("maxpool3d", "maxpool3d", {"size": 2}, [(2, 4, 8, 8)], (2, 2, 4, 4)),
    # D: size 1 keeps 5; H, W: floor((6 + 2 - 3) / 2) + 1 = 3
    Case("maxpool3d_lists", "maxpool3d", {"size": [1, 3, 3], "stride": [1, 2, 2], "padding": [0, 1, 1]},
         [(2, 5, 6, 6)], (2, 5, 3, 3)),
    # D, H: ceil((5 - 2) / 2) + 1 = 3 (start 4 < 5: kept); W: span 3, ceil((6 - 3) / 2) + 1 = 3
    Case("maxpool3d_ceil_dilation", "maxpool3d",
         {"size": 2, "stride": 2, "dilation": [1, 1, 2], "ceil_mode": True}, [(1, 5, 5, 6)], (1, 3, 3, 3)),
    # ---------------------------------------------------------------------------- average pooling
    # floor((7 + 2*1 - 3) / 2) + 1 = 4
    Case("avgpool2d_padding", "avgpool2d", {"size": 3, "stride": 2, "padding": 1}, [(8, 7, 7)], (8, 4, 4)),
    # ceil((6 - 3) / 2) + 1 = 3 (floor: 2); last window starts at 4 < 6: kept
    Case("avgpool2d_ceil", "avgpool2d",
         {"size": 3, "stride": 2, "ceil_mode": True, "count_include_pad": False}, [(2, 6, 6)], (2, 3, 3)),
    Case("avgpool2d_floor", "avgpool2d", {"size": 3, "stride": 2}, [(2, 6, 6)], (2, 2, 2)),
    Case("avgpool1d", "avgpool1d", {"size": 2}, [(3, 8)], (3, 4)),
    # Keras padding names: 'valid' = 0; 'same' = TF SAME, out = ceil(L / s) whatever the window:
    # ceil(7 / 2) = 4 (pads 1 + 1); ceil(5 / 2) = 3 (k 2: pad 0 before, 1 after); ceil(6 / 3) = 2
    Case("maxpool2d_same_keras", "maxpool2d", {"pool_size": 3, "strides": 2, "padding": "same"},
         [(4, 7, 7)], (4, 4, 4)),
    Case("maxpool2d_valid_keras", "maxpool2d", {"pool_size": 3, "strides": 2, "padding": "valid"},
         [(4, 7, 7)], (4, 3, 3)),
    Case("avgpool2d_same_keras", "avgpool2d", {"size": 2, "padding": "same"}, [(3, 5, 5)], (3, 3, 3)),
    # 'valid' is padding 0, so ceil_mode still applies: ceil((3 - 2) / 2) + 1 = 2 (floor: 1)
    Case("avgpool1d_valid_ceil", "avgpool1d", {"size": 2, "padding": "valid", "ceil_mode": True},
         [(1, 3)], (1, 2)),
    Case("avgpool1d_same_stride_over_size", "avgpool1d", {"size": 2, "stride": 3, "padding": "same"},
         [(2, 6)], (2, 2)),
    # floor((9 + 2*2 - 4) / 2) + 1 = 5
    Case("avgpool1d_stride_padding", "avgpool1d",
         {"size": 4, "stride": 2, "padding": 2, "count_include_pad": False}, [(2, 9)], (2, 5)),
    # ceil((7 - 2) / 2) + 1 = 4 (floor: 3); last window starts at 6 < 7: kept
    Case("avgpool1d_ceil", "avgpool1d", {"size": 2, "ceil_mode": True}, [(3, 7)], (3, 4)),
    Case("avgpool3d_lists", "avgpool3d", {"size": [1, 2, 2]}, [(2, 5, 6, 6)], (2, 5, 3, 3)),
    # D: 4 + 2 - 3 + 1 = 4; H: floor((7 + 2 - 3) / 2) + 1 = 4; W: floor((8 + 2 - 3) / 2) + 1 = 4
    Case("avgpool3d_stride_padding", "avgpool3d",
         {"size": 3, "stride": [1, 2, 2], "padding": 1, "count_include_pad": True}, [(2, 4, 7, 8)],
         (2, 4, 4, 4)),
    # ceil((3 - 2) / 2) + 1 = 2 per axis (floor: 1)
    Case("avgpool3d_ceil", "avgpool3d", {"size": 2, "ceil_mode": True}, [(1, 3, 3, 3)], (1, 2, 2, 2)),
    # ---------------------------------------------------------------------------- adaptive, global
    Case("adaptive_avgpool2d_alexnet", "adaptive_avgpool2d", {"size": 6}, [(256, 13, 13)], (256, 6, 6)),
    Case("adaptive_avgpool2d_list", "adaptive_avgpool2d", {"output_size": [7, 1]}, [(4, 14, 9)], (4, 7, 1)),
    Case("adaptive_avgpool1d", "adaptive_avgpool1d", {"size": 5}, [(8, 20)], (8, 5)),
    Case("adaptive_avgpool3d", "adaptive_avgpool3d", {"size": [2, 3, 4]}, [(4, 8, 9, 10)], (4, 2, 3, 4)),
    Case("global_avgpool_2d", "global_avgpool", {}, [(512, 7, 7)], (512, 1, 1)),
    Case("global_avgpool_3d", "global_avgpool", {}, [(4, 2, 3, 5)], (4, 1, 1, 1)),
    Case("global_maxpool_1d", "global_maxpool", {}, [(16, 100)], (16, 1)),
    Case("global_maxpool_2d", "global_maxpool", {}, [(8, 5, 6)], (8, 1, 1)),
    # ---------------------------------------------------------------------------- upsample
    Case("upsample_nearest_scale2", "upsample", {"scale": 2}, [(3, 5, 7)], (3, 5 * 2, 7 * 2)),
    # floor(5 * 1.5) = floor(7.5) = 7
    Case("upsample_nearest_scale1_5", "upsample", {"scale_factor": 1.5}, [(3, 5, 5)], (3, 7, 7)),
    # per-axis scales: floor(3 * 2.0) = 6, floor(5 * 0.5) = 2
    Case("upsample_scale_list", "upsample", {"scale": [2.0, 0.5]}, [(1, 3, 5)], (1, 6, 2)),
    Case("upsample_bilinear_size", "upsample", {"size": [8, 12], "mode": "bilinear"}, [(2, 4, 6)],
         (2, 8, 12)),
    Case("upsample_bilinear_scale", "upsample", {"scale": 2, "mode": "bilinear", "align_corners": True},
         [(1, 3, 3)], (1, 6, 6)),
    Case("upsample_nearest_size_1d", "upsample", {"size": 9}, [(2, 5)], (2, 9)),
    Case("upsample_linear_1d", "upsample", {"scale": 3, "mode": "linear"}, [(4, 10)], (4, 30)),
    Case("upsample_trilinear", "upsample", {"scale": 2, "mode": "trilinear"}, [(1, 2, 3, 4)], (1, 4, 6, 8)),
    # ---------------------------------------------------------------------------- reshaping
    Case("flatten_chw", "flatten", {}, [(64, 7, 7)], (64 * 7 * 7,)),
    Case("flatten_vector", "flatten", {}, [(10,)], (10,)),
    # ViT patches: 768 * 14 * 14 / 768 = 196
    Case("reshape_minus_one", "reshape", {"shape": [768, -1]}, [(768, 14, 14)], (768, 14 * 14)),
    Case("reshape_minus_one_first", "reshape", {"target_shape": [-1, 4]}, [(2, 3, 4)], (6, 4)),
    Case("reshape_exact", "reshape", {"shape": [3, 4]}, [(12,)], (3, 4)),
    Case("permute_2d", "permute", {"dims": [1, 0]}, [(768, 196)], (196, 768)),
    Case("permute_3d", "permute", {"dims": [2, 0, 1]}, [(2, 3, 4)], (4, 2, 3)),
    # ShuffleNet channel split: range(116)[0:58] and range(116)[58:] keep 58 channels each
    Case("slice_first_half", "slice", {"start": 0, "end": 58}, [(116, 28, 28)], (58, 28, 28)),
    Case("slice_second_half", "slice", {"axis": 0, "start": 58}, [(116, 28, 28)], (116 - 58, 28, 28)),
    # range(6)[1:-1] has 4 elements; range(4)[-3:] has 3
    Case("slice_stop_alias_negative", "slice", {"dim": 1, "start": 1, "stop": -1}, [(3, 6)], (3, 4)),
    Case("slice_negative_start", "slice", {"axis": 1, "start": -3}, [(10, 4)], (10, 3)),
    Case("select_class_token", "select", {"axis": 0, "index": 0}, [(197, 768)], (768,)),
    Case("select_negative_index", "select", {"dim": 1, "index": -1}, [(3, 4, 5)], (3, 5)),
    # U-Net: the 136x136 skip is cropped to the decoder's 104x104
    # pad: an int pads every spatial axis on both sides: (3, 5 + 2 + 2, 6 + 2 + 2)
    Case("pad_spatial_int", "pad", {"padding": 2}, [(3, 5, 6)], (3, 2 + 5 + 2, 2 + 6 + 2)),
    # one [before, after] pair per sample axis, channels first: (4, 1 + 6 + 2)
    Case("pad_pairs_value", "pad", {"padding": [[0, 0], [1, 2]], "value": -1.5}, [(4, 6)], (4, 1 + 6 + 2)),
    Case("pad_channels_3d", "pad", {"padding": [[1, 0], [0, 1], [2, 2], [0, 0]]}, [(2, 3, 4, 5)],
         (1 + 2, 3 + 1, 2 + 4 + 2, 5)),
    Case("center_crop_unet", "center_crop", {"size": 104}, [(64, 136, 136)], (64, 104, 104)),
    Case("center_crop_list", "center_crop", {"size": [3, 4]}, [(2, 5, 6)], (2, 3, 4)),
    Case("channel_shuffle", "channel_shuffle", {"groups": 3}, [(24, 28, 28)], (24, 28, 28)),
    # ---------------------------------------------------------------------------- normalization
    Case("dropout", "dropout", {"rate": 0.5}, [(4096,)], (4096,)),
    Case("dropout_p_alias", "dropout", {"p": 0.1}, [(3, 4, 4)], (3, 4, 4)),
    # identity in inference, no parameters, no neurons (torchvision StochasticDepth)
    Case("stochastic_depth", "stochastic_depth", {"p": 0.2, "mode": "row"}, [(96, 56, 56)],
         (96, 56, 56)),
    Case("stochastic_depth_batch", "stochastic_depth", {"rate": 0.1, "mode": "batch"}, [(8, 16)],
         (8, 16)),
    Case("batchnorm_2d", "batchnorm", {}, [(64, 56, 56)], (64, 56, 56), {"weight": 64, "bias": 64},
         {"running_mean": 64, "running_var": 64}),
    Case("batchnorm_1d_features", "batchnorm", {"eps": 1e-3, "momentum": 0.01}, [(10,)], (10,),
         {"weight": 10, "bias": 10}, {"running_mean": 10, "running_var": 10}),
    # affine false: no weight or bias, but the running statistics are still kept
    Case("batchnorm_no_affine", "batchnorm", {"affine": False}, [(3, 4, 4)], (3, 4, 4), {},
         {"running_mean": 3, "running_var": 3}),
    Case("layernorm_tokens", "layernorm", {}, [(197, 768)], (197, 768), {"weight": 768, "bias": 768}),
    # normalizes the last axis only: D = 5
    Case("layernorm_last_axis", "layernorm", {"epsilon": 1e-6}, [(3, 4, 5)], (3, 4, 5),
         {"weight": 5, "bias": 5}),
    Case("layernorm_no_affine", "layernorm", {"elementwise_affine": False}, [(8, 16)], (8, 16)),
    # dims 3: PyTorch LayerNorm([C, H, W]) over the whole sample: weight and bias 4 * 5 * 6 each
    Case("layernorm_whole_sample", "layernorm", {"dims": 3}, [(4, 5, 6)], (4, 5, 6),
         {"weight": 4 * 5 * 6, "bias": 4 * 5 * 6}),
    Case("layernorm_two_axes_no_affine", "layernorm", {"dims": 2, "affine": False}, [(3, 4, 5)],
         (3, 4, 5)),
    # Llama 3 8B: RMSNorm(4096, eps=1e-5): weight = 4096, no bias
    Case("rmsnorm_llama3", "rmsnorm", {"eps": 1e-5}, [(16, 4096)], (16, 4096), {"weight": 4096}),
    Case("rmsnorm_no_weight", "rmsnorm", {"affine": False}, [(3, 4, 8)], (3, 4, 8)),
    Case("rmsnorm_torch_name", "rmsnorm", {"elementwise_affine": True}, [(10,)], (10,), {"weight": 10}),
    # Stable Diffusion's U-Net: GroupNorm(32, 128): weight and bias = 128 each
    Case("groupnorm_unet", "groupnorm", {"groups": 32}, [(128, 16, 16)], (128, 16, 16),
         {"weight": 128, "bias": 128}),
    Case("groupnorm_no_affine", "groupnorm", {"num_groups": 2, "affine": False, "eps": 1e-6}, [(6, 5)],
         (6, 5)),
    Case("groupnorm_one_group_3d", "groupnorm", {"groups": 1}, [(4, 3, 2, 5)], (4, 3, 2, 5),
         {"weight": 4, "bias": 4}),
    # PyTorch's InstanceNorm2d(3): affine false, no running statistics: nothing to count
    Case("instancenorm_default", "instancenorm", {}, [(3, 8, 8)], (3, 8, 8)),
    Case("instancenorm_affine_1d", "instancenorm", {"affine": True, "eps": 1e-3}, [(4, 10)], (4, 10),
         {"weight": 4, "bias": 4}),
    Case("layer_scale_convnext", "layer_scale", {"init": 1e-6}, [(96, 56, 56)], (96, 56, 56), {"scale": 96}),
    # an inference batch norm as tf2onnx writes Keras's (Mul, Add): scale and bias = 8 each
    Case("layer_scale_bias", "layer_scale", {"init": 0.5, "bias": True}, [(8, 6, 6)], (8, 6, 6),
         {"scale": 8, "bias": 8}),
    Case("layer_scale_bias_flat", "layer_scale", {"bias": True}, [(16,)], (16,), {"scale": 16, "bias": 16}),
    # ---------------------------------------------------------------------------- merges
    Case("add_residual", "add", {}, [(64, 56, 56), (64, 56, 56)], (64, 56, 56)),
    Case("add_three", "add", {}, [(2, 3), (2, 3), (2, 3)], (2, 3)),
    # squeeze-and-excitation gate: (C, H, W) * (C, 1, 1)
    Case("multiply_se_gate", "multiply", {}, [(16, 8, 8), (16, 1, 1)], (16, 8, 8)),
    Case("multiply_outer", "multiply", {}, [(4, 1), (1, 5)], (4, 5)),
    # ranks differ: (5,) is aligned to the last axis, as NumPy does
    Case("multiply_rank_broadcast", "multiply", {}, [(3, 4, 5), (5,)], (3, 4, 5)),
    # channels 64 + 32 = 96
    # attention scores per head: (h, T, d) @ (h, d, T) -> (h, T, T); MACs = h * T * T * d
    Case("matmul_attention_scores", "matmul", {}, [(4, 10, 8), (4, 8, 10)], (4, 10, 10), neurons=4 * 10 * 10,
         macs=4 * 10 * 10 * 8),
    # leading axis broadcast: (1, 3, 5) @ (2, 5, 7) -> (2, 3, 7); MACs = 2 * 3 * 7 * 5
    Case("matmul_broadcast", "matmul", {}, [(1, 3, 5), (2, 5, 7)], (2, 3, 7), neurons=2 * 3 * 7,
         macs=2 * 3 * 7 * 5),
    Case("concat_channels", "concat", {}, [(64, 28, 28), (32, 28, 28)], (64 + 32, 28, 28)),
    Case("concat_last_axis", "concat", {"axis": -1}, [(10, 3), (10, 5)], (10, 3 + 5)),
    Case("concat_axis1_three", "concat", {"dim": 1}, [(2, 1, 3), (2, 2, 3), (2, 4, 3)], (2, 1 + 2 + 4, 3)),
    # ---------------------------------------------------------------------------- activations
    *[Case(f"{kind}_chw", kind, {}, [(8, 4, 4)], (8, 4, 4)) for kind in ACTIVATIONS],
    Case("relu_vector", "relu", {}, [(1000,)], (1000,)),
    Case("leaky_relu_slope", "leaky_relu", {"negative_slope": 0.2}, [(5,)], (5,)),
    Case("leaky_relu_keras_alpha", "leaky_relu", {"alpha": 0.3}, [(2, 3)], (2, 3)),
    Case("softmax_last_axis", "softmax", {"axis": -1}, [(4, 6)], (4, 6)),
    Case("softmax_dim_alias", "softmax", {"dim": 1}, [(4, 6)], (4, 6)),
    Case("log_softmax_last_axis", "log_softmax", {"axis": -1}, [(4, 6)], (4, 6)),
    Case("log_softmax_dim_alias", "log_softmax", {"dim": 1}, [(2, 3, 5)], (2, 3, 5)),
    Case("gelu_tanh", "gelu", {"approximate": "tanh"}, [(197, 3072)], (197, 3072)),
    Case("elu_alpha", "elu", {"alpha": 0.5}, [(3, 3)], (3, 3)),
    # PReLU: weight = 1 (PyTorch nn.PReLU()), C (nn.PReLU(C)) or every element (Keras's PReLU(),
    # alpha of shape input_shape[1:]: a (7, 7, 16) image -> 7 * 7 * 16); no neurons, no MACs
    Case("prelu_one", "prelu", {}, [(64, 28, 28)], (64, 28, 28), {"weight": 1}),
    Case("prelu_channel", "prelu", {"parameters": "channel"}, [(64, 28, 28)], (64, 28, 28), {"weight": 64}),
    Case("prelu_torch_num_parameters", "prelu", {"num_parameters": 32, "init": 0.1}, [(32, 10)], (32, 10),
         {"weight": 32}),
    Case("prelu_keras_element", "prelu", {"parameters": "element"}, [(16, 7, 7)], (16, 7, 7),
         {"weight": 16 * 7 * 7}),
    Case("prelu_vector_channel", "prelu", {"parameters": "channel"}, [(10,)], (10,), {"weight": 10}),
    Case("prelu_element_3d", "prelu", {"parameters": "element", "init": 0.5}, [(2, 3, 4, 5)], (2, 3, 4, 5),
         {"weight": 2 * 3 * 4 * 5}),
    # ---------------------------------------------------------------------------- transformer
    # ViT-B/16: 196 patches + 1 class token
    Case("class_token_vit", "class_token", {}, [(196, 768)], (196 + 1, 768), {"token": 768}),
    Case("pos_embedding_vit", "pos_embedding", {}, [(197, 768)], (197, 768), {"embedding": 197 * 768}),
    # BERT-base: a table of 512 positions, sequences of 128: 512 * 768 rows x width
    Case("pos_embedding_bert_length", "pos_embedding", {"length": 512}, [(128, 768)], (128, 768),
         {"embedding": 512 * 768}),
    # ---------------------------------------------------------------------------- sequence
    # nn.Embedding(1000, 16) on 12 ids: (12,) -> (12, 16); weight 1000 * 16; a lookup: no MACs
    Case("embedding_small", "embedding", {"vocab": 1000, "dim": 16}, [(12,)], (12, 16),
         {"weight": 1000 * 16}),
    # PyTorch's names: nn.Embedding(num_embeddings=50, embedding_dim=8)
    Case("embedding_torch_names", "embedding", {"num_embeddings": 50, "embedding_dim": 8}, [(5,)], (5, 8),
         {"weight": 50 * 8}),
    # Keras's names: Embedding(input_dim=7, output_dim=3), one id
    Case("embedding_keras_names", "embedding", {"input_dim": 7, "output_dim": 3}, [(1,)], (1, 3),
         {"weight": 7 * 3}),
    # recurrent: per layer k and direction, G gates (RNN 1, LSTM 4, GRU 3), in_0 = F, in_k = H * dirs:
    #   weight_ih = G*H*in_k, weight_hh = G*H*H, bias_ih = bias_hh = G*H (PyTorch)
    #   MACs = L * sum G*H*(in_k + H);  neurons = L * layers * dirs * G*H (gate pre-activations)
    # Zaremba et al. 2014, medium: 2-layer LSTM 650 on 35 steps of 650-wide embeddings
    Case("lstm_zaremba_medium", "lstm", {"units": 650, "layers": 2}, [(35, 650)], (35, 650),
         {"weight_ih_l0": 4 * 650 * 650, "weight_hh_l0": 4 * 650 * 650, "bias_ih_l0": 4 * 650,
          "bias_hh_l0": 4 * 650, "weight_ih_l1": 4 * 650 * 650, "weight_hh_l1": 4 * 650 * 650,
          "bias_ih_l1": 4 * 650, "bias_hh_l1": 4 * 650},
         neurons=35 * 2 * 4 * 650, macs=35 * 2 * 4 * 650 * (650 + 650)),
    # Keras Bidirectional(LSTM(8)): one bias per gate, both directions concatenated: (6, 2 * 8)
    Case("lstm_bidirectional_keras_bias", "lstm", {"units": 8, "bidirectional": True, "bias": "single"},
         [(6, 5)], (6, 2 * 8),
         {"weight_ih_l0": 4 * 8 * 5, "weight_hh_l0": 4 * 8 * 8, "bias_ih_l0": 4 * 8,
          "weight_ih_l0_reverse": 4 * 8 * 5, "weight_hh_l0_reverse": 4 * 8 * 8, "bias_ih_l0_reverse": 4 * 8},
         neurons=6 * 2 * 4 * 8, macs=6 * 2 * 4 * 8 * (5 + 8)),
    # the final hidden state only: (5,)
    Case("lstm_last_state", "lstm", {"units": 5, "return_sequences": False}, [(4, 2)], (5,),
         {"weight_ih_l0": 4 * 5 * 2, "weight_hh_l0": 4 * 5 * 5, "bias_ih_l0": 4 * 5, "bias_hh_l0": 4 * 5},
         neurons=4 * 4 * 5, macs=4 * 4 * 5 * (2 + 5)),
    # PyTorch's names: nn.GRU(8, hidden_size=16, num_layers=2); layer 1 reads 16 features
    Case("gru_two_layers_torch_names", "gru", {"hidden_size": 16, "num_layers": 2}, [(10, 8)], (10, 16),
         {"weight_ih_l0": 3 * 16 * 8, "weight_hh_l0": 3 * 16 * 16, "bias_ih_l0": 3 * 16, "bias_hh_l0": 3 * 16,
          "weight_ih_l1": 3 * 16 * 16, "weight_hh_l1": 3 * 16 * 16, "bias_ih_l1": 3 * 16,
          "bias_hh_l1": 3 * 16},
         neurons=10 * 2 * 3 * 16, macs=10 * 3 * 16 * (8 + 16) + 10 * 3 * 16 * (16 + 16)),
    Case("gru_bidirectional_last_state_no_bias", "gru",
         {"units": 3, "bidirectional": True, "return_sequences": False, "bias": False}, [(5, 4)], (2 * 3,),
         {"weight_ih_l0": 3 * 3 * 4, "weight_hh_l0": 3 * 3 * 3,
          "weight_ih_l0_reverse": 3 * 3 * 4, "weight_hh_l0_reverse": 3 * 3 * 3},
         neurons=5 * 2 * 3 * 3, macs=5 * 2 * 3 * 3 * (4 + 3)),
    # Keras SimpleRNN(6, activation="relu", use_bias=False), last state
    Case("rnn_relu_last_state", "rnn",
         {"units": 6, "nonlinearity": "relu", "return_sequences": False, "use_bias": False}, [(7, 3)], (6,),
         {"weight_ih_l0": 6 * 3, "weight_hh_l0": 6 * 6}, neurons=7 * 6, macs=7 * 6 * (3 + 6)),
    # two bidirectional layers: layer 1 reads 2 * 4 = 8 features
    Case("rnn_bidirectional_two_layers", "rnn", {"units": 4, "layers": 2, "bidirectional": True}, [(5, 3)],
         (5, 2 * 4),
         {"weight_ih_l0": 4 * 3, "weight_hh_l0": 4 * 4, "bias_ih_l0": 4, "bias_hh_l0": 4,
          "weight_ih_l0_reverse": 4 * 3, "weight_hh_l0_reverse": 4 * 4, "bias_ih_l0_reverse": 4,
          "bias_hh_l0_reverse": 4,
          "weight_ih_l1": 4 * 8, "weight_hh_l1": 4 * 4, "bias_ih_l1": 4, "bias_hh_l1": 4,
          "weight_ih_l1_reverse": 4 * 8, "weight_hh_l1_reverse": 4 * 4, "bias_ih_l1_reverse": 4,
          "bias_hh_l1_reverse": 4},
         neurons=5 * 2 * 2 * 4, macs=5 * 2 * 4 * (3 + 4) + 5 * 2 * 4 * (8 + 4)),
    # nn.MultiheadAttention(768, 12): 4 * 768^2 + 4 * 768 = 2,362,368 parameters
    Case("attention_vit_b16", "attention", {"heads": 12}, [(197, 768)], (197, 768),
         {"in_proj_weight": 3 * 768 * 768, "in_proj_bias": 3 * 768,
          "out_proj.weight": 768 * 768, "out_proj.bias": 768},
         neurons=197 * 768, macs=197 * 768 * (3 * 768) + 197 * 197 * 768 + 197 * 197 * 768 + 197 * 768 * 768),
    Case("attention_no_bias", "attention", {"num_heads": 2, "bias": False}, [(10, 8)], (10, 8),
         {"in_proj_weight": 3 * 8 * 8, "out_proj.weight": 8 * 8}, neurons=10 * 8,
         macs=10 * 8 * (3 * 8) + 10 * 10 * 8 + 10 * 10 * 8 + 10 * 8 * 8),
    # dropout only acts in training: counts unchanged
    Case("attention_dropout", "attention", {"heads": 4, "dropout": 0.1}, [(5, 16)], (5, 16),
         {"in_proj_weight": 3 * 16 * 16, "in_proj_bias": 3 * 16,
          "out_proj.weight": 16 * 16, "out_proj.bias": 16},
         neurons=5 * 16, macs=5 * 16 * (3 * 16) + 5 * 5 * 16 + 5 * 5 * 16 + 5 * 16 * 16),
    # Attention in general, h heads of width d (default D / h), g key/value heads (default h), N queries
    # of width D, M keys of width Dm: MACs = N*D*h*d (q) + 2*M*Dm*g*d (k, v) + 2*N*M*h*d (q.k, weights.v)
    # + N*h*d*D (out), once per leading index. A causal mask changes no count: PyTorch computes every
    # product of q.k, then adds -inf above the diagonal.
    Case("attention_causal", "attention", {"heads": 4, "causal": True}, [(16, 64)], (16, 64),
         {"in_proj_weight": 3 * 64 * 64, "in_proj_bias": 3 * 64,
          "out_proj.weight": 64 * 64, "out_proj.bias": 64},
         neurons=16 * 64, macs=16 * 64 * (3 * 64) + 2 * 16 * 16 * 64 + 16 * 64 * 64),
    # grouped-query (Llama): h = 8, g = 2, d = 32 / 8 = 4; k and v project to g * d = 8
    Case("attention_gqa", "attention", {"heads": 8, "kv_heads": 2, "bias": False}, [(10, 32)], (10, 32),
         {"q_proj.weight": 32 * 32, "k_proj.weight": 8 * 32, "v_proj.weight": 8 * 32,
          "out_proj.weight": 32 * 32},
         neurons=10 * 32, macs=10 * 32 * 32 + 2 * 10 * 32 * 8 + 2 * 10 * 10 * 32 + 10 * 32 * 32),
    # multi-query: one key/value head of width d = 24 / 4 = 6, biases on all four projections
    Case("attention_mqa", "attention", {"num_heads": 4, "num_key_value_heads": 1}, [(12, 24)], (12, 24),
         {"q_proj.weight": 24 * 24, "q_proj.bias": 24, "k_proj.weight": 6 * 24, "k_proj.bias": 6,
          "v_proj.weight": 6 * 24, "v_proj.bias": 6, "out_proj.weight": 24 * 24, "out_proj.bias": 24},
         neurons=12 * 24, macs=12 * 24 * 24 + 2 * 12 * 24 * 6 + 2 * 12 * 12 * 24 + 12 * 24 * 24),
    # head_dim 12 with 2 heads on D = 16: every projection is 16 <-> 2 * 12 = 24 wide
    Case("attention_head_dim", "attention", {"heads": 2, "head_dim": 12}, [(6, 16)], (6, 16),
         {"q_proj.weight": 24 * 16, "q_proj.bias": 24, "k_proj.weight": 24 * 16, "k_proj.bias": 24,
          "v_proj.weight": 24 * 16, "v_proj.bias": 24, "out_proj.weight": 16 * 24, "out_proj.bias": 16},
         neurons=6 * 16, macs=6 * 16 * 24 + 2 * 6 * 16 * 24 + 2 * 6 * 6 * 24 + 6 * 24 * 16),
    # Qwen2: biases on q, k, v only; under GQA (g = 2, d = 4) the k and v biases have g * d = 8 entries
    Case("attention_bias_qkv_gqa", "attention", {"heads": 4, "kv_heads": 2, "bias": ["q", "k", "v"]},
         [(8, 16)], (8, 16),
         {"q_proj.weight": 16 * 16, "q_proj.bias": 16, "k_proj.weight": 8 * 16, "k_proj.bias": 8,
          "v_proj.weight": 8 * 16, "v_proj.bias": 8, "out_proj.weight": 16 * 16},
         neurons=8 * 16, macs=8 * 16 * 16 + 2 * 8 * 16 * 8 + 2 * 8 * 8 * 16 + 8 * 16 * 16),
    # Whisper: no bias on k
    Case("attention_bias_qv_out", "attention", {"heads": 4, "bias": ["q", "v", "out"]}, [(8, 16)], (8, 16),
         {"q_proj.weight": 16 * 16, "q_proj.bias": 16, "k_proj.weight": 16 * 16,
          "v_proj.weight": 16 * 16, "v_proj.bias": 16, "out_proj.weight": 16 * 16, "out_proj.bias": 16},
         neurons=8 * 16, macs=8 * 16 * 16 + 2 * 8 * 16 * 16 + 2 * 8 * 8 * 16 + 8 * 16 * 16),
    # cross-attention: 6 queries attend to a memory of 9 tokens of the same width: PyTorch's packed in_proj
    Case("attention_cross", "attention", {"heads": 2}, [(6, 16), (9, 16)], (6, 16),
         {"in_proj_weight": 3 * 16 * 16, "in_proj_bias": 3 * 16,
          "out_proj.weight": 16 * 16, "out_proj.bias": 16},
         neurons=6 * 16, macs=6 * 16 * 16 + 2 * 9 * 16 * 16 + 2 * 6 * 9 * 16 + 6 * 16 * 16),
    # a memory of width 12: nn.MultiheadAttention(16, 4, kdim=12, vdim=12); k and v map 12 -> 16
    Case("attention_cross_kdim", "attention", {"heads": 4}, [(6, 16), (9, 12)], (6, 16),
         {"q_proj_weight": 16 * 16, "k_proj_weight": 16 * 12, "v_proj_weight": 16 * 12,
          "in_proj_bias": 3 * 16, "out_proj.weight": 16 * 16, "out_proj.bias": 16},
         neurons=6 * 16, macs=6 * 16 * 16 + 2 * 9 * 12 * 16 + 2 * 6 * 9 * 16 + 6 * 16 * 16),
    # Swin-T's first stage, 4 of its 64 windows of 7 x 7 = 49 tokens, 3 heads: each window attends on
    # its own; relative position table (2 * 7 - 1)^2 = 169 entries x 3 heads; the gather adds no MACs
    Case("attention_windows_relative_bias", "attention", {"heads": 3, "relative_bias": 169}, [(4, 49, 96)],
         (4, 49, 96),
         {"in_proj_weight": 3 * 96 * 96, "in_proj_bias": 3 * 96,
          "out_proj.weight": 96 * 96, "out_proj.bias": 96, "relative_bias_table": 169 * 3},
         neurons=4 * 49 * 96, macs=4 * (49 * 96 * 3 * 96 + 2 * 49 * 49 * 96 + 49 * 96 * 96)),
    # T5: 32 buckets x 4 heads, no biases
    Case("attention_relative_bias_t5", "attention", {"heads": 4, "relative_bias": 32, "bias": False},
         [(10, 32)], (10, 32),
         {"in_proj_weight": 3 * 32 * 32, "out_proj.weight": 32 * 32, "relative_bias_table": 32 * 4},
         neurons=10 * 32, macs=10 * 32 * 3 * 32 + 2 * 10 * 10 * 32 + 10 * 32 * 32),
    # everything at once, on 2 leading indices: 5 queries (D = 16) attend causally to 7 memory tokens
    # (Dm = 8); h = 4 heads of d = 2 (h * d = 8), g = 2 (g * d = 4)
    Case("attention_cross_gqa_causal_windows", "attention",
         {"heads": 4, "kv_heads": 2, "head_dim": 2, "causal": True}, [(2, 5, 16), (2, 7, 8)], (2, 5, 16),
         {"q_proj.weight": 8 * 16, "q_proj.bias": 8, "k_proj.weight": 4 * 8, "k_proj.bias": 4,
          "v_proj.weight": 4 * 8, "v_proj.bias": 4, "out_proj.weight": 16 * 8, "out_proj.bias": 16},
         neurons=2 * 5 * 16, macs=2 * (5 * 16 * 8 + 2 * 7 * 8 * 4 + 2 * 5 * 7 * 8 + 5 * 8 * 16)),
]
# fmt: on
