"""Receptive fields: published figures, small cases derived by hand, and the rf command."""

from __future__ import annotations

import csv
import io
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import netcalc
from netcalc.analysis.receptive_field import AxisField, receptive_field
from netcalc.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def field_after(source: Any, group: str) -> AxisField:
    """The H field of the last layer of a block use (its output)."""
    report = netcalc.analyze(source)
    last = next(g.last for g in report.groups if g.name == group)
    assert report.receptive_field is not None
    fields = report.receptive_field.layers[last].axes
    assert fields[0] == fields[1] or fields[0].to_dict() == fields[1].to_dict()  # square: H as W
    return fields[0]


def figures(field: AxisField) -> tuple[int, int, Fraction, int]:
    assert field.sizes is not None and field.stride is not None and field.padding is not None
    return (*field.sizes, field.stride, field.padding)


# --- published figures -------------------------------------------------------------------------
# Araujo, Norris, Sim, "Computing Receptive Fields of Convolutional Neural Networks", Distill 2019,
# table of r / S / P: VGG-16 pool5 212 / 32 / 90, Inception-v3 Mixed_7c 1311 / 32 / 618.


def test_vgg16_after_pool5_is_the_distill_figure():
    assert figures(field_after("zoo:vgg16", "features")) == (212, 212, 32, 90)


def test_inception_v3_after_mixed_7c_is_the_distill_figure():
    assert figures(field_after("zoo:inception_v3", "Mixed_7b_7c.2")) == (1311, 1311, 32, 618)


def test_resnet50_after_layer4():
    assert figures(field_after("zoo:resnet50", "layer4")) == (427, 427, 32, 213)


def test_unet_output_sees_188_to_204_pixels_depending_on_position():
    report = netcalc.analyze("zoo:unet")
    assert report.receptive_field is not None
    head = report.receptive_field.layers[-1]
    assert head.name == "head"
    for axis in head.axes:
        assert axis.sizes == (188, 204)
        assert axis.stride == 1
        sizes = {axis.span(i)[1] - axis.span(i)[0] + 1 for i in range(388)}
        assert min(sizes) == 188 and max(sizes) == 204


def test_after_a_global_pool_the_field_is_global_never_a_number():
    report = netcalc.analyze("zoo:resnet50")
    assert report.receptive_field is not None
    tail = report.receptive_field.layers[-3:]
    assert [f.kind for f in tail] == ["global_avgpool", "flatten", "dense"]
    assert all(a.status == "global" and a.sizes is None for f in tail for a in f.axes)


# --- small cases derived by hand ----------------------------------------------------------------


def one_axis(layers: list[dict[str, Any]], length: int = 16, channels: int = 1) -> list[AxisField]:
    """The L field of every layer of a 1-D network on a (channels, length) input."""
    fields = netcalc.receptive_field({"input": [channels, length], "layers": layers})
    assert fields.axes == ("L",)
    return [f.axes[0] for f in fields.layers]


def test_two_3x3_convolutions():
    # r = 1 + (3 - 1) + (3 - 1) = 5; S = 1; P = 1 + 1 = 2
    a, b = one_axis([{"conv1d": {"filters": 2, "kernel": 3, "padding": 1}}] * 2)
    assert figures(a) == (3, 3, 1, 1)
    assert figures(b) == (5, 5, 1, 2)
    assert b.span(0) == (-2, 2) and b.span(5) == (3, 7)  # [-P + i S, -P + i S + r - 1]


def test_strided_convolutions_multiply_the_stride():
    # r1 = 3, S1 = 2, P1 = 1; r2 = r1 + (3 - 1) * S1 = 7, S2 = 2 * 2 = 4, P2 = P1 + 1 * S1 = 3
    _, b = one_axis([{"conv1d": {"filters": 2, "kernel": 3, "stride": 2, "padding": 1}}] * 2)
    assert figures(b) == (7, 7, 4, 3)


def test_dilation_widens_the_span():
    # span = 2 * (3 - 1) + 1 = 5, padding 2 keeps the length
    (a,) = one_axis([{"conv1d": {"filters": 1, "kernel": 3, "dilation": 2, "padding": 2}}])
    assert figures(a) == (5, 5, 1, 2)


def test_same_padding_puts_the_odd_pixel_after():
    # maxpool 3, stride 2, 'same' on L = 8: out 4, total padding 3 * 2 + 3 - 8 = 1, before 0
    (a,) = one_axis([{"maxpool1d": {"size": 3, "stride": 2, "padding": "same"}}], length=8)
    assert figures(a) == (3, 3, 2, 0)


def test_transposed_convolution_field_depends_on_position():
    # k 3, s 2, p 1: output o reads input j when o + 1 - t = 2 j for a tap t in 0..2:
    # o = 0: t = 1, j = 0 (r 1); o = 1: t = 0 -> j = 1, t = 2 -> j = 0 (r 2); S = 1/2
    (a,) = one_axis([{"conv_transpose1d": {"filters": 1, "kernel": 3, "stride": 2, "padding": 1}}])
    assert figures(a) == (1, 2, Fraction(1, 2), 0)
    assert [a.span(o) for o in range(4)] == [(0, 0), (0, 1), (1, 1), (1, 2)]


def test_upsampling_nearest_and_linear():
    # nearest x2: output i reads i // 2; linear x2: src = (i + 1/2) / 2 - 1/2, reads floor and ceil
    (near,) = one_axis([{"upsample": {"scale": 2}}])
    assert figures(near) == (1, 1, Fraction(1, 2), 0)
    (lin,) = one_axis([{"upsample": {"scale": 2, "mode": "linear"}}])
    assert [lin.span(i) for i in range(3)] == [(-1, 0), (0, 1), (0, 1)]
    assert figures(lin) == (2, 2, Fraction(1, 2), 1)


def test_adaptive_pooling_windows():
    # 7 -> 3: [floor(7 i / 3), ceil(7 (i + 1) / 3) - 1] = [0, 2], [2, 4], [4, 6]
    (a,) = one_axis([{"adaptive_avgpool1d": {"size": 3}}], length=7)
    assert [a.span(i) for i in range(3)] == [(0, 2), (2, 4), (4, 6)]
    assert figures(a) == (3, 3, Fraction(7, 3), 0)


def test_concat_takes_the_union_of_its_branches():
    layers = [
        {"conv1d": {"filters": 1, "kernel": 3, "padding": 1, "name": "a", "from": "input"}},
        {"conv1d": {"filters": 1, "kernel": 5, "padding": 2, "name": "b", "from": "input"}},
        {"concat": {"from": ["a", "b"]}},
    ]
    report = netcalc.analyze({"input": [1, 16], "layers": layers})
    assert report.receptive_field is not None
    assert figures(report.receptive_field.layers[-1].axes[0]) == (5, 5, 1, 2)
    assert report.warnings == ()  # both centred on i


def test_misaligned_branches_warn():
    # a: conv k3 p0 reads [i, i + 2], centred on i + 1; b: x[0:14] reads [i, i], centred on i
    layers = [
        {"conv1d": {"filters": 1, "kernel": 3, "name": "a", "from": "input"}},
        {"slice": {"axis": 1, "start": 0, "end": 14, "name": "b", "from": "input"}},
        {"add": {"from": ["a", "b"], "name": "merge"}},
    ]
    report = netcalc.analyze({"input": [1, 16], "layers": layers})
    assert report.receptive_field is not None
    assert figures(report.receptive_field.layers[-1].axes[0]) == (3, 3, 1, 0)
    (warning,) = report.warnings
    assert "layer 2 'add' (merge)" in warning and "along L" in warning and "shifted by 1" in warning


def test_a_crop_keeps_the_branches_aligned():
    # center_crop 16 -> 14 starts at round(2 / 2) = 1: reads [i + 1], centred like the conv
    layers = [
        {"conv1d": {"filters": 1, "kernel": 3, "name": "a", "from": "input"}},
        {"center_crop": {"size": 14, "name": "b", "from": "input"}},
        {"add": {"from": ["a", "b"]}},
    ]
    assert netcalc.analyze({"input": [1, 16], "layers": layers}).warnings == ()


def test_flatten_dense_and_attention():
    # flatten (2, 16) -> (32,) merges the axis (n/a), dense after it reads everything (global)
    flat, dense = one_axis([{"flatten": {}}, {"dense": {"units": 4}}], channels=2)
    assert (flat.status, dense.status) == ("n/a", "global")
    # flatten (1, 16) -> (16,) keeps every position where it was
    (kept,) = one_axis([{"flatten": {}}])
    assert figures(kept) == (1, 1, 1, 0)
    # tokens: (1, 16) -> permute -> (16, 1) tokens of one feature; attention reads every token
    permuted, attention = one_axis([{"permute": {"dims": [1, 0]}}, {"attention": {"heads": 1}}])
    assert permuted.status == "local" and permuted.output_axis == 0
    assert attention.status == "global"


def test_dense_on_the_channel_axis_keeps_the_field():
    # (16, 1) after permute: dense mixes the last axis (features), each token keeps its position
    _, dense = one_axis([{"permute": {"dims": [1, 0]}}, {"dense": {"units": 3}}])
    assert figures(dense) == (1, 1, 1, 0)


def test_a_vector_input_has_no_spatial_axes():
    fields = netcalc.receptive_field({"input": [8], "layers": [{"dense": {"units": 2}}]})
    assert fields.axes == () and fields.layers[0].axes == ()


# --- where it is shown ---------------------------------------------------------------------------


def test_count_json_has_the_field_per_layer():
    out = runner.invoke(app, ["count", "zoo:vgg16", "--format", "json"])
    assert out.exit_code == 0, out.output
    layers = json.loads(out.output)["layers"]
    pool5 = layers[30]
    assert pool5["type"] == "maxpool2d" and pool5["params"] == 0  # the existing fields are there
    assert pool5["receptive_field"]["H"] == {
        "status": "local",
        "size": 212,
        "size_min": 212,
        "size_max": 212,
        "stride": 32,
        "padding": 90,
    }
    assert layers[-1]["receptive_field"]["W"] == {"status": "global"}


def test_rf_command_formats():
    table = runner.invoke(app, ["rf", "zoo:unet", "--depth", "1"])
    assert table.exit_code == 0, table.output
    assert "188-204 / 1 / 0" in table.output
    data = json.loads(runner.invoke(app, ["rf", "zoo:unet", "--format", "json"]).output)
    assert data["layers"][-1]["receptive_field"]["H"]["size_min"] == 188
    assert data["layers"][-1]["receptive_field"]["H"]["size"] is None
    rows = list(
        csv.DictReader(io.StringIO(runner.invoke(app, ["rf", "zoo:lenet5", "--format", "csv"]).output))
    )
    assert rows[0] == {
        "spec": "lenet5",
        "index": "0",
        "name": "c1.conv",
        "type": "conv2d",
        "axis": "H",
        "status": "local",
        "size_min": "5",
        "size_max": "5",
        "stride": "1",
        "padding": "0",
    }
    markdown = runner.invoke(app, ["rf", "zoo:vgg16", "--format", "markdown"])
    assert "| 212 / 32 / 90 | 212 / 32 / 90 |" in markdown.output


def test_rf_command_errors_keep_the_contract():
    assert runner.invoke(app, ["rf", "zoo:vgg16", "--format", "svg"]).exit_code == 2
    missing = runner.invoke(app, ["rf", "no-such.yaml"])
    assert missing.exit_code == 1 and "Traceback" not in missing.output


@pytest.mark.parametrize("path", sorted((ROOT / "specs").rglob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_spec_has_a_field_per_layer(path: Path):
    report = netcalc.analyze(str(path))
    assert report.receptive_field is not None
    assert len(report.receptive_field.layers) == len(report.rows)


# --- the witness: verify perturbs inputs around the claimed field --------------------------------

SMALL_CNN = {
    "input": [2, 12, 12],
    "layers": [
        {"conv2d": {"filters": 3, "kernel": 3, "padding": 1, "activation": "relu"}},
        {"maxpool2d": {"size": 2}},
        {"conv2d": {"filters": 2, "kernel": 3}},
    ],
}


def test_verify_witnesses_the_field():
    # 12 -> 12 -> 6 -> 4; r = 3 + 1 + 2 * 2 = 8, S = 2, P = 1: outputs 0, 2, 3 (first, middle,
    # last) see [-1, 6], [3, 10], [5, 12] (-1 and 12 are padding)
    assert figures(netcalc.receptive_field(SMALL_CNN).layers[2].axes[0]) == (8, 8, 2, 1)
    result = netcalc.verify(SMALL_CNN)
    assert result.ok, result.failures()
    (check,) = result.fields
    assert check.index == 2 and check.positions == ((0, 0), (2, 2), (3, 3))
    assert check.changed > 0 and check.unchanged > 0 and check.mismatches == ()
    assert result.to_dict()["receptive_field"][0]["corners_changed"] == check.changed


@pytest.mark.parametrize(("change", "phrase"), [(-1, "outside the field"), (+1, "leaves it unchanged")])
def test_verify_catches_a_wrong_field(monkeypatch, change, phrase):
    # a convolution that claims one tap less (its field too small) or one more (too large)
    from netcalc.layers import conv, fields

    def wrong(kernel: int, stride: int, pad: int, dilation: int = 1) -> fields.Window:
        return fields.sliding(kernel + change, stride, pad, dilation)

    monkeypatch.setattr(conv, "sliding", wrong)
    result = netcalc.verify(SMALL_CNN)
    assert not result.ok
    assert any(phrase in line for line in result.failures())


def test_verify_witnesses_position_dependent_fields():
    spec = {
        "input": [1, 9, 9],
        "layers": [
            {"conv_transpose2d": {"filters": 2, "kernel": 3, "stride": 2, "padding": 1}},
            {"upsample": {"scale": 2, "mode": "bilinear"}},
            {"conv2d": {"filters": 1, "kernel": 3, "stride": 2}},
        ],
    }
    result = netcalc.verify(spec)
    assert result.ok, result.failures()
    assert result.fields and result.fields[0].changed > 0 and result.fields[0].unchanged > 0


def test_verify_command_shows_the_witness():
    out = runner.invoke(app, ["verify", str(ROOT / "specs" / "examples" / "tiny-resnet.yaml")])
    assert out.exit_code == 0, out.output
    assert "receptive field of layer" in out.output and "verified" in out.output


def test_the_witness_stops_before_a_product_of_branches():
    # x * conv(x): with a zero input the product of two perturbations' effects vanishes, so the
    # witness checks a layer before it (the conv), never the product
    spec = {
        "input": [1, 12, 12],
        "layers": [
            {"conv2d": {"filters": 1, "kernel": 3, "name": "a"}},
            {"center_crop": {"size": 10, "from": "input", "name": "b"}},
            {"multiply": {"from": ["a", "b"]}},
        ],
    }
    result = netcalc.verify(spec)
    assert result.ok, result.failures()
    assert [f.index for f in result.fields] == [0]


def test_a_select_of_padded_tokens_reads_no_input():
    # (N, D) = (2, 4) padded to (3, 6): row 0 and columns 0 and 5 are the constant. Selecting row 0
    # gives a constant output: along D its field is still [j - 1, j - 1] (padding counts, as in the
    # Distill convention), but every token it reads is padding, so no corner can change it
    spec = {
        "input": [2, 4],
        "layers": [{"pad": {"padding": [[1, 0], [1, 1]]}}, {"select": {"axis": 0, "index": 0}}],
    }
    fields = netcalc.receptive_field(spec).layers[1]
    assert figures(fields.axes[0]) == (1, 1, 1, 1)
    assert fields.channels is not None and fields.channels.span(0) == (-1, -1)  # row -1: padding
    result = netcalc.verify(spec, dtype="float64")  # was: "input [2] is a corner ... unchanged"
    assert result.ok, result.failures()
    assert result.fields[0].index == 0  # the select has no corner left to claim: the pad is witnessed
    # row 1 is input token 0: the same field, and its corners do change the output
    spec["layers"][1] = {"select": {"axis": 0, "index": 1}}
    assert netcalc.receptive_field(spec).layers[1].channels.span(0) == (0, 0)  # type: ignore[union-attr]
    result = netcalc.verify(spec, dtype="float64")
    assert result.ok, result.failures()
    assert result.fields[0].index == 1 and result.fields[0].changed > 0


def test_the_class_token_reads_no_input():
    # token 0 is the class token (position -1, like padding); token i + 1 is input token i
    spec = {"input": [2, 4], "layers": ["class_token", {"select": {"axis": 0, "index": 0}}]}
    fields = netcalc.receptive_field(spec).layers
    assert figures(fields[0].axes[0]) == (1, 1, 1, 0)  # D: each feature itself
    assert fields[1].channels is not None and fields[1].channels.span(0) == (-1, -1)
    result = netcalc.verify(spec, dtype="float64")
    assert result.ok, result.failures()
    assert result.fields[0].index == 0 and result.fields[0].changed > 0  # the select claims no corner


@pytest.mark.parametrize("layer", [{"layernorm": {"affine": False}}, "layernorm", "instancenorm"])
def test_a_normalization_of_one_element_reads_no_input(layer):
    # layernorm normalizes each W row of (3, 4, 1), a row of one; instancenorm each H x W map of
    # (3, 1, 1), a map of one
    shape = [3, 1, 1] if layer == "instancenorm" else [3, 4, 1]
    spec = {"input": shape, "layers": [layer]}
    (field,) = netcalc.receptive_field(spec).layers
    assert [a.sizes for a in field.axes] == [(0, 0), (0, 0)]  # (x - x) / sqrt(eps) = 0: reads nothing
    result = netcalc.verify(spec, dtype="float64")
    assert result.ok, result.failures()
    if shape[1] > 1:  # outside elements to perturb: each leaves the constant output as it is
        assert result.fields[0].unchanged > 0 and result.fields[0].changed == 0


def test_a_normalization_after_a_permute_reads_no_input():
    # (N, D) = (1, 4) permuted to (4, 1): layernorm over N = 1. D's field was 1 / 1 / 0, and a
    # corner claimed to change an output that is the constant 0 (found by the property test)
    spec = {"input": [1, 4], "layers": [{"permute": {"dims": [1, 0]}}, {"layernorm": {"affine": False}}]}
    fields = netcalc.receptive_field(spec).layers
    assert fields[0].axes[0].sizes == (1, 1) and fields[1].axes[0].sizes == (0, 0)
    result = netcalc.verify(spec, dtype="float64")
    assert result.ok, result.failures()


def test_an_element_wise_first_layer_has_the_input_field():
    (field,) = netcalc.receptive_field({"input": [2, 5], "layers": ["relu"]}).layers
    assert [figures(a) for a in field.axes] == [(1, 1, 1, 0)]


def test_output_padding_reads_no_input_element():
    # 3 -> conv k2 -> 2 -> transposed k2 s2, output padding 1 -> 5. Output 4 reads position 2 of the
    # conv's output (one past its end: padding), which the Distill field maps back to inputs 2..3;
    # no real path joins input 2 to it (it is the bias alone). The witness took input 2 for a corner
    spec = {
        "input": [2, 3, 3],
        "layers": [
            {"conv2d": {"filters": 1, "kernel": 2, "bias": False}},
            {"conv_transpose2d": {"filters": 1, "kernel": 2, "stride": 2, "output_padding": 1}},
        ],
    }
    network = netcalc.load(spec)
    report = netcalc.analyze(network)
    assert report.receptive_field is not None
    claimed = report.receptive_field.layers[1].axes[0]
    assert claimed.span(4) == (2, 3) and claimed.span(3) == (1, 2)
    exact = receptive_field(network, report.rows, exact=True).layers[1].axes[0]
    assert exact.span(4)[0] > exact.span(4)[1]  # reads nothing
    assert exact.span(3) == (1, 2) and exact.span(0) == (0, 1)
    result = netcalc.verify(spec, dtype="float64")
    assert result.ok, result.failures()
    assert result.fields[0].index == 1 and result.fields[0].changed > 0


def test_the_exact_field_leaves_out_padding():
    # two 3x3 convolutions padded by 1 on 6: output 0 claims [-2, 2], reads inputs 0..2
    spec = {"input": [1, 6], "layers": [{"conv1d": {"filters": 1, "kernel": 3, "padding": 1}}] * 2}
    network = netcalc.load(spec)
    report = netcalc.analyze(network)
    exact = receptive_field(network, report.rows, exact=True).layers[1].axes[0]
    assert [exact.span(i) for i in range(6)] == [(0, 2), (0, 3), (0, 4), (1, 5), (2, 5), (3, 5)]
    assert report.receptive_field is not None
    assert report.receptive_field.layers[1].axes[0].span(0) == (-2, 2)


def test_the_witness_needs_no_more_memory_than_the_run_it_witnesses():
    # VGG-16 at 224, witnessed at pool5 in float64, CHUNK perturbed inputs at a time. Since the
    # backend builds its im2col columns a block of rows at a time (3631921), CHUNK of them fit within
    # the verified run's estimated peak (batch 2, float32: its 0.53 GB of weights dominate); under a
    # tighter bound the witness takes fewer inputs at a time, down to one, each chunk within it
    from netcalc.verification import CHUNK, _chunk, _skeleton, estimate_peak_bytes

    network = netcalc.load("zoo:vgg16")
    report = netcalc.analyze(network)
    bound = estimate_peak_bytes(network, 2, 4, report)
    pool5 = [row.index for row in report.rows if row.kind == "maxpool2d"][-1]
    skeleton = _skeleton(network, pool5)
    checked = netcalc.analyze(skeleton)
    peaks = [estimate_peak_bytes(skeleton, n, 8, checked) for n in range(1, CHUNK + 1)]
    assert peaks == sorted(peaks) and peaks[0] < peaks[-1] <= bound
    assert _chunk(skeleton, checked, CHUNK, bound) == CHUNK
    for n in range(1, CHUNK):  # just under n + 1 inputs' peak: n inputs
        assert _chunk(skeleton, checked, CHUNK, peaks[n] - 1) == n
    assert _chunk(skeleton, checked, CHUNK, peaks[0] - 1) == 1  # never fewer than one
    assert _chunk(skeleton, checked, CHUNK, None) == CHUNK


def test_a_dilated_window_cut_by_padding_claims_no_corner_it_skips():
    # kernel 2, dilation 2, 'same' on 3: output 0 reads taps -1 (padding) and 1; the exact field,
    # a span, says 0..1, but input 0 is a dilation gap: only the claimed corner 1 is checked
    spec = {
        "input": [1, 3, 3],
        "layers": [{"conv2d": {"filters": 1, "kernel": 2, "dilation": 2, "padding": "same", "bias": False}}],
    }
    assert netcalc.receptive_field(spec).layers[0].axes[0].span(0) == (-1, 1)
    result = netcalc.verify(spec, dtype="float64")
    assert result.ok, result.failures()
    assert result.fields[0].changed > 0


def test_a_dilated_window_reads_its_taps_only():
    # transposed k1 s2 on 3 -> 5 (positions 1 and 3 read nothing); then kernel 2, dilation 2:
    # output 1 reads positions 1 and 3 (2, between its taps, is a gap), so nothing at all
    spec = {
        "input": [1, 3],
        "layers": [
            {"conv_transpose1d": {"filters": 1, "kernel": 1, "stride": 2, "bias": False}},
            {"conv1d": {"filters": 1, "kernel": 2, "dilation": 2, "bias": False}},
        ],
    }
    network = netcalc.load(spec)
    report = netcalc.analyze(network)
    assert report.receptive_field is not None
    claimed = report.receptive_field.layers[1].axes[0]  # a span, gaps included: Distill's
    assert [claimed.span(i) for i in range(3)] == [(0, 1), (1, 1), (1, 2)]
    exact = receptive_field(network, report.rows, exact=True).layers[1].axes[0]
    assert [exact.span(i) for i in range(3)] == [(0, 1), (1, 0), (1, 2)]  # (1, 0): empty
    result = netcalc.verify(spec, dtype="float64")
    assert result.ok, result.failures()


def test_a_dilated_window_over_gaps_is_not_monotone():
    # transposed k1 s3 on 4 -> 10 (every third position is an input); kernel 3, dilation 2 -> 6:
    # output 2 reads 2, 4, 6 (input 2), output 3 reads 3, 5, 7 (input 1). A crop to output 2 and a
    # transposed k2: both its outputs read input 2. Taking the first and last tap of such a field
    # claimed (2, 1), nothing, for output 1 (the claimed span stays whole: monotone, [1, 2])
    spec = {
        "input": [1, 4],
        "layers": [
            {"conv_transpose1d": {"filters": 1, "kernel": 1, "stride": 3, "bias": False}},
            {"conv1d": {"filters": 1, "kernel": 3, "dilation": 2, "bias": False}},
            {"center_crop": {"size": 1}},
            {"conv_transpose1d": {"filters": 1, "kernel": 2, "bias": False}},
        ],
    }
    network = netcalc.load(spec)
    report = netcalc.analyze(network)
    exact = receptive_field(network, report.rows, exact=True).layers
    assert [exact[1].axes[0].span(i) for i in range(6)] == [(0, 0), (1, 1), (2, 2), (1, 1), (2, 2), (3, 3)]
    assert [exact[3].axes[0].span(i) for i in range(2)] == [(2, 2), (2, 2)]
    assert report.receptive_field is not None
    assert [report.receptive_field.layers[3].axes[0].span(i) for i in range(2)] == [(1, 2), (1, 2)]
    result = netcalc.verify(spec, dtype="float64")
    assert result.ok, result.failures()


def test_the_exact_field_is_the_skeleton_s():
    # a softmax over the channels mixes a padded channel with a real one; in the skeleton (no
    # activations) the padded channel sliced out is the constant it was: no corner to claim
    spec = {
        "input": [1, 3],
        "layers": [
            {"conv_transpose1d": {"filters": 1, "kernel": 1, "padding": 1, "bias": False}},
            {"pad": {"padding": [[0, 1], [0, 0]]}},
            {"softmax": {"axis": 0}},
            {"slice": {"axis": 0, "start": 1}},
        ],
    }
    result = netcalc.verify(spec, dtype="float64")
    assert result.ok, result.failures()


def test_padded_channels_sliced_out_read_no_input():
    # (1, 3) -> transposed k1 p1 -> (1, 1); its one channel padded to (2, 1), then channel 1 alone:
    # the padding, a constant, though the channels were made by the layer (no input axis is there)
    spec = {
        "input": [1, 3],
        "layers": [
            {"conv_transpose1d": {"filters": 1, "kernel": 1, "padding": 1, "bias": False}},
            {"pad": {"padding": [[0, 1], [0, 0]]}},
            {"slice": {"axis": 0, "start": 1}},
        ],
    }
    network = netcalc.load(spec)
    report = netcalc.analyze(network)
    exact = receptive_field(network, report.rows, exact=True).layers
    assert [f.reads_input for f in exact] == [True, True, False]
    result = netcalc.verify(spec, dtype="float64")  # was: "input [1] is a corner ... unchanged"
    assert result.ok, result.failures()


def test_a_huge_input_is_refused_before_the_exact_field_pass():
    # the exact pass holds a flag per position of every axis: verify refuses a run that cannot fit
    # first (before: MemoryError building 10^12 flags); count's claimed pass holds none
    from netcalc.errors import ResourceError

    spec = {"name": "huge", "input": [10**12], "layers": ["relu"]}
    assert netcalc.analyze(netcalc.load(spec)).receptive_field is not None
    with pytest.raises(ResourceError, match="over the limit of 2 GiB"):
        netcalc.verify(netcalc.load(spec))


def test_a_normalization_over_the_channels_sees_a_perturbed_position():
    # (N, D) = (2, 4) permuted to (4, 2), layernorm over the 2 tokens: the witness perturbs both
    # tokens at a position; the same value in both normalized to 0, as the zero input (property test)
    spec = {"input": [2, 4], "layers": ["relu", {"permute": {"dims": [1, 0]}}, "layernorm"]}
    result = netcalc.verify(spec, dtype="float64")
    assert result.ok, result.failures()
    assert result.fields[0].index == 2 and result.fields[0].changed > 0


def test_an_output_that_reads_no_input_value_has_no_corner_to_show():
    # channel 0 is a padded one, the grouped conv's first filter reads only it, the slice keeps that
    # filter: every output is 0 whatever the input (a field by the convention's geometry, padding
    # included); the whole input changing nothing, no corner is claimed (was: "input [0, 0] is a
    # corner of the field of output [1, 1] but leaves it unchanged"; property test)
    spec = {
        "name": "constant",
        "input": [1, 3, 3],
        "layers": [
            {"pad": {"padding": [[1, 0], [0, 0], [1, 0]]}},
            {"pad": {"padding": 1}},
            {"conv2d": {"filters": 2, "kernel": 1, "stride": [1, 2], "groups": 2, "bias": False}},
            {"add": {"from": [-1, -1]}},
            {"slice": {"axis": 0, "start": 0, "end": 1}},
        ],
    }
    result = netcalc.verify(netcalc.load(spec), dtype="float64")
    assert result.ok, result.failures()
    assert result.fields[0].changed == 0 and result.fields[0].unchanged > 0


@pytest.mark.parametrize("parameters", [1, "channel", "element"])
def test_prelu_is_element_wise(parameters):
    # a prelu reads the element at its own position, whatever its slopes: the field stays r = 3,
    # S = 1, P = 1 of the convolution before it; verify's witness runs it
    spec = {
        "input": [2, 12],
        "layers": [
            {"conv1d": {"filters": 3, "kernel": 3, "padding": 1}},
            {"prelu": {"parameters": parameters}},
        ],
    }
    conv, prelu = [f.axes[0] for f in netcalc.receptive_field(spec).layers]
    assert figures(conv) == figures(prelu) == (3, 3, 1, 1)
    result = netcalc.verify(spec)
    assert result.ok, result.failures()
    assert [c.mismatches for c in result.fields] == [()] and result.fields[0].changed > 0
