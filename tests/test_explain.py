"""`netcalc explain`: every figure as its formula, and every formula gives the figure reported.

Each formula is evaluated with netcalc's own safe arithmetic (netcalc.spec.arith), not Python's
eval, and compared with the figure the engine reports: the explanation cannot drift from the count.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cases import CASES, Case, spec_dict
from typer.testing import CliRunner

import netcalc
from netcalc.analysis.explain import Explained, explain
from netcalc.cli import app
from netcalc.engine import Row
from netcalc.layers import LAYERS, Layer
from netcalc.spec.arith import evaluate
from netcalc.zoo import names as zoo_names

ROOT = Path(__file__).resolve().parents[1]
SPECS = sorted((ROOT / "specs").rglob("*.yaml"))
DENSE = str(ROOT / "specs" / "dense-vs-conv" / "dense.yaml")
runner = CliRunner()


def explained(source: Any) -> Explained:
    network = netcalc.load(source)
    report = netcalc.analyze(network)
    return explain(network, report.rows, report.receptive_field, list(report.rows))


def assert_every_formula_gives_its_figure(result: Explained, report: netcalc.Report) -> None:
    checked = 0
    for line in result.lines:
        assert not any(f.note == "no formula for this type" for f in line.figures), line.kind
        for figure in line.figures:
            if figure.formula is not None:
                assert evaluate(figure.formula.plain, {}) == figure.value, (line.name, figure)
                checked += 1
    row_figures = {(r.name, "MACs"): r.counts.macs for r in report.rows}
    for line in result.lines:
        for figure in line.figures:
            if figure.what == "MACs":
                assert figure.value == row_figures[(line.name, "MACs")]
    assert checked > 0


def figures_of(line: Any) -> dict[str, Any]:
    return {f.what: f for f in line.figures}


def test_every_layer_type_explains_its_figures():
    """The guard: a layer type added to LAYERS without `explain` fails here."""
    missing = [cls.__name__ for cls in LAYERS if cls.explain is Layer.explain]
    assert missing == []
    covered = {c.kind for c in CASES}
    assert {cls.kind for cls in LAYERS} <= covered  # so every type is checked by the cases below


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_explanations_evaluate_to_the_hand_derived_figures(case: Case):
    report = netcalc.analyze(spec_dict(case))
    row: Row = report.rows[-1]
    network = netcalc.load(spec_dict(case))
    result = explain(network, report.rows, report.receptive_field, [row], whole=False)
    (line,) = result.lines
    figures = figures_of(line)
    for axis, size in enumerate(case.shape):  # the shape, axis by axis
        shape_figure = line.figures[axis]
        assert shape_figure.value == size
        assert shape_figure.formula is not None
        assert evaluate(shape_figure.formula.plain, {}) == size, (case.id, shape_figure)
    for name, n in {**case.params, **case.state}.items():
        formula = figures[name].formula
        assert formula is not None and evaluate(formula.plain, {}) == n, (case.id, name, formula)
    assert evaluate(figures["MACs"].formula.plain, {}) == case.macs
    assert evaluate(figures["neurons"].formula.plain, {}) == case.neurons


@pytest.mark.parametrize("path", SPECS, ids=[p.name for p in SPECS])
def test_shipped_spec_explanations_evaluate_to_the_figures(path: Path):
    report = netcalc.analyze(str(path))
    result = explained(str(path))
    assert_every_formula_gives_its_figure(result, report)
    totals = figures_of(type("T", (), {"figures": result.totals})())
    assert totals["total params"].value == report.totals.params
    assert evaluate(totals["total params"].formula.plain, {}) == report.totals.params
    assert evaluate(totals["total MACs"].formula.plain, {}) == report.totals.macs


@pytest.mark.parametrize("name", zoo_names())
def test_zoo_explanations_evaluate_to_the_figures(name: str):
    report = netcalc.analyze(f"zoo:{name}")
    result = explained(f"zoo:{name}")
    assert_every_formula_gives_its_figure(result, report)
    totals = {f.what: f for f in result.totals}
    assert evaluate(totals["total params"].formula.plain, {}) == report.totals.params
    assert evaluate(totals["total neurons"].formula.plain, {}) == report.totals.neurons
    assert evaluate(totals["total MACs"].formula.plain, {}) == report.totals.macs


def test_the_issue_examples():
    # conv2d 64 filters 3x3 padding 1 on (1, 256, 256): the article's first layer
    line = explained(str(ROOT / "specs" / "dense-vs-conv" / "conv.yaml")).lines[0]
    figures = figures_of(line)
    assert figures["params"].formula.pretty == "64 × (1 × 3 × 3) + 64"
    assert figures["params"].value == 640
    assert figures["H"].formula.pretty == "⌊(256 + 2·1 − 1·(3 − 1) − 1) / 1⌋ + 1"
    assert figures["H"].value == 256
    # receptive field of the second conv: r = 3 + (3 - 1)·1, S = 1·1, P = 1 + 1·1 (pad 1)
    second = figures_of(explained(str(ROOT / "specs" / "dense-vs-conv" / "conv.yaml")).lines[1])
    assert (second["r (H)"].formula.pretty, second["r (H)"].value) == ("3 + 2·1", 5)
    assert (second["P (H)"].formula.pretty, second["P (H)"].value) == ("1 + 1·1", 2)


def test_dense_article_term_by_term():
    out = runner.invoke(app, ["explain", DENSE])
    assert out.exit_code == 0, out.output
    assert "weight = 1,000 × 65,536 = 65,536,000" in out.output
    assert "total params = 65,537,000 + 1,001,000 + 1,001 = 66,539,001" in out.output


def test_explain_chosen_layers_blocks_and_json():
    out = runner.invoke(app, ["explain", "zoo:resnet18", "fc", "conv1"])
    assert out.exit_code == 0, out.output
    assert "layer 0 'conv2d' (conv1)" in out.output and "'dense' (fc)" in out.output
    assert "total params" not in out.output  # only some layers: no totals
    blocks = runner.invoke(app, ["explain", "zoo:resnet18", "--depth", "0"])
    assert blocks.exit_code == 0, blocks.output
    assert "total params" in blocks.output and "11,689,512" in blocks.output
    data = json.loads(runner.invoke(app, ["explain", DENSE, "--format", "json"]).output)
    total = next(f for f in data["totals"] if f["what"] == "total params")
    assert total["value"] == 66_539_001 and evaluate(total["expression"], {}) == 66_539_001


def test_explain_errors_keep_the_contract():
    unknown = runner.invoke(app, ["explain", DENSE, "dense_9"])
    assert unknown.exit_code == 2 and "dense_9" in unknown.output and "Traceback" not in unknown.output
    assert runner.invoke(app, ["explain", DENSE, "--format", "svg"]).exit_code == 2


def test_library_explain():
    result = netcalc.explain(DENSE)
    assert [line.name for line in result.lines] == ["flatten_1", "dense_1", "dense_2", "dense_3"]
    assert {f.what: f.value for f in result.totals}["total params"] == 66_539_001


def test_a_sharing_layer_says_whose_parameters_it_uses():
    text = (
        "input: [6]\nlayers:\n  - embedding: {vocab: 11, dim: 4, name: wte}\n"
        "  - dense: {units: 11, share: wte, name: head}\n"
        "  - dense: {units: 11, bias: false, share: head, name: again, from: -2}\n"
    )
    result = explained(text)
    head = {f.what: f for f in result.lines[1].figures}
    assert head["weight"].value == 44 and head["weight"].note == "tied to wte: counted there"
    assert head["bias"].value == 11 and head["params"].value == 11  # its own bias counts
    again = {f.what: f for f in result.lines[2].figures}
    assert again["weight"].note == "tied to wte: counted there" and again["params"].value == 0
    assert_every_formula_gives_its_figure(result, netcalc.analyze(text))


def test_a_token_sequence_is_labelled_l_and_d_and_a_frozen_layer_says_so():
    text = (
        "input: [16]\nlayers:\n  - embedding: {vocab: 100, dim: 8, trainable: false}\n"
        "  - dense: {units: 4}\n  - flatten\n  - dense: {units: 3}\n"
    )
    result = explained(text)
    axes = [[(f.what, f.value) for f in line.figures[:2]] for line in result.lines]
    assert axes[0] == [("L", 16), ("D", 8)]  # the embedding's (L, D), not C and L
    assert axes[1] == [("L", 16), ("D", 4)]  # a dense over the tokens keeps them
    assert axes[2][0] == ("size", 64) and axes[3][0] == ("size", 3)  # flattened: no tokens
    frozen = {f.what: f for f in result.lines[0].figures}
    assert frozen["weight"].note == "frozen (trainable: false): no gradient"
    assert [line.trainable for line in result.lines] == [False, True, True, True]
    out = CliRunner().invoke(app, ["explain", "-"], input=text)
    assert out.exit_code == 0
    assert "layer 0 'embedding' (embedding_1, frozen): 16 -> 16x8" in out.output
    assert "layer 1 'dense' (dense_1): 16x8 -> 16x4" in out.output
