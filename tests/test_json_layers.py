"""count's JSON, its layers written straight from the rows (render.layerjson), reads as
json.dumps(report.to_dict(), indent=2) writes it, byte for byte."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

import netcalc
from netcalc.render import Options, render
from netcalc.render.layerjson import Layer, LayerWriter
from netcalc.report import Report, group_dict, layer_dict, totals_report
from netcalc.zoo import names

ROOT = Path(__file__).resolve().parents[1]
SPECS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "specs").rglob("*.yaml"))

# names may hold quotes, backslashes and any letters (not dots, spaces or control characters, and
# not only digits); the spec's own name and description anything
HOSTILE = {
    "name": 'odd "names" \\ \x01\t\u2028 é',
    "description": "7",
    "inputs": {"image": [3, 8, 8], "tokens": [3, 8, 8]},
    "outputs": ["head", "a\\b"],
    "blocks": {"blöck": {"layers": [{"conv2d": {"filters": 3, "kernel": 3, "padding": 1}}, "relu"]}},
    "layers": [
        {"conv2d": {"filters": 4, "kernel": 3, "padding": 1, "from": "image", "name": 'c"q'}},
        {"conv2d": {"filters": 4, "kernel": 3, "padding": 1, "from": "tokens", "share": 'c"q', "name": "x7"}},
        {"add": {"from": ['c"q', "x7"], "name": "日本"}},
        {"relu": {"name": "probe", "training_only": True}},
        {"conv_transpose2d": {"filters": 2, "kernel": 3, "stride": 2, "from": "日本", "name": "a\\b"}},
        {"blöck": {"repeat": 2}},
        {"global_avgpool": {"from": "日本"}},
        "flatten",
        {"dense": {"units": 3, "name": "head"}},
    ],
}

FRACTIONS = {
    "input": [3, 8, 8],
    "layers": [
        {"conv_transpose2d": {"filters": 2, "kernel": 3, "stride": 2}},
        {"conv2d": {"filters": 2, "kernel": 3, "stride": 3}},
    ],
}

GENERATES = {
    "input": [8],
    "layers": [
        {"embedding": {"vocab": 10, "dim": 4}},
        {"attention": {"heads": 2, "causal": True}},
        {"dense": {"units": 10}},
    ],
}


def _same(report: Report) -> None:
    text = "".join(render("count", "json", [report], Options()))
    assert text == json.dumps(report.to_dict(), indent=2) + "\n"
    two = "".join(render("count", "json", [report, report], Options(many=True)))
    assert two == json.dumps([report.to_dict()] * 2, indent=2) + "\n"


@pytest.mark.parametrize("source", [f"zoo:{n}" for n in names()] + SPECS)
def test_every_zoo_model_and_example_reads_as_json_dumps_writes_it(source: str) -> None:
    for batch in (1, 3):
        _same(netcalc.analyze(netcalc.load(ROOT / source if source in SPECS else source), batch=batch))


def test_hostile_names_shares_training_only_and_named_inputs_read_the_same() -> None:
    report = netcalc.analyze(netcalc.load(HOSTILE))
    assert report.rows[1].shares and report.rows[3].training_only and report.named_inputs
    _same(report)


def test_fields_whose_size_and_stride_vary_read_the_same() -> None:
    report = netcalc.analyze(netcalc.load(FRACTIONS))
    assert report.to_dict()["layers"][1]["receptive_field"]["H"] == {
        "status": "local", "size": None, "size_min": 2, "size_max": 3, "stride": "3/2", "padding": 1,
    }  # fmt: skip
    _same(report)


def test_a_network_that_generates_reads_the_same() -> None:
    report = netcalc.analyze(netcalc.load(GENERATES))
    assert report.generation is not None
    _same(report)


def test_a_report_without_receptive_fields_reads_the_same() -> None:
    report = totals_report(netcalc.load("zoo:resnet18"), 2, with_liveness=True)
    assert report.receptive_field is None
    _same(report)


def test_a_value_the_templates_do_not_write_goes_to_the_generic_writer() -> None:
    report = netcalc.analyze(netcalc.load("zoo:lenet5"))
    row, field = next(report.layers())
    odd = [
        dataclasses.replace(row, counts=dataclasses.replace(row.counts, macs=1.5)),  # type: ignore[arg-type]
        dataclasses.replace(row, training_only=1),  # type: ignore[arg-type]
        dataclasses.replace(row, tensors={1: 2}),  # type: ignore[dict-item]
        dataclasses.replace(row, name=None),  # type: ignore[arg-type]
    ]
    writer = LayerWriter()
    for r in odd:
        for depth in (2, 3, 61):
            assert writer.text(Layer(r, field), depth) == json.dumps(layer_dict(r, field), indent=2).replace(
                "\n", "\n" + "  " * depth
            )


def test_a_group_value_the_templates_do_not_write_goes_to_the_generic_writer() -> None:
    report = netcalc.analyze(netcalc.load("zoo:resnet18"))
    group = report.groups[0]
    odd = [
        dataclasses.replace(group, counts=dataclasses.replace(group.counts, params=2.5)),  # type: ignore[arg-type]
        dataclasses.replace(group, parent=3),  # type: ignore[arg-type]
        dataclasses.replace(group, training_only=None),  # type: ignore[arg-type]
    ]
    writer = LayerWriter()
    for g in [group, *odd]:
        for depth in (2, 3, 61):
            expected = json.dumps(group_dict(g), indent=2).replace("\n", "\n" + "  " * depth)
            assert writer.group(g, depth) == expected
