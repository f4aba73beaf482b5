"""Every case of tests/cases.py through the layer model and through the engine."""

import json
from math import prod

import pytest
from cases import CASES, Case, spec_dict
from typer.testing import CliRunner

import netcalc
from netcalc.cli import app
from netcalc.layers import BY_KIND, LAYERS


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_layer_model(case: Case):
    layer = BY_KIND[case.kind].model_validate(case.args)
    inputs = tuple(case.inputs)
    out = layer.output_shape(inputs)
    assert out == case.shape
    assert layer.params(inputs) == case.params
    assert layer.state(inputs) == case.state
    assert layer.macs(inputs, out) == case.macs
    assert layer.neurons(out, inputs) == case.neurons


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_engine(case: Case):
    report = netcalc.analyze(netcalc.load(spec_dict(case)))
    row = report.rows[-1]
    assert row.name == "under_test"
    assert row.kind == case.kind
    assert row.input_shapes == tuple(case.inputs)
    assert row.output_shape == case.shape
    assert row.tensors == case.params
    assert row.state_tensors == case.state
    assert row.counts.params == sum(case.params.values())
    assert row.counts.state == sum(case.state.values())
    assert row.counts.neurons == case.neurons
    assert row.counts.macs == case.macs
    assert row.counts.activations == prod(case.shape)


def test_case_ids_are_unique_and_kinds_known():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert {c.kind for c in CASES} <= set(BY_KIND)


def test_every_layer_type_has_a_case_and_a_listing():
    covered = {c.kind for c in CASES}
    missing = [cls.kind for cls in LAYERS if cls.kind not in covered]
    assert missing == [], f"layer types without a case in tests/cases.py: {missing}"
    result = CliRunner().invoke(app, ["layers", "--format", "json"])
    assert result.exit_code == 0
    listed = [entry["type"] for entry in json.loads(result.stdout)]
    assert listed == [cls.kind for cls in LAYERS]


def test_every_layer_type_has_a_docstring():
    """The docstring is the layer's formula; `netcalc layers` and the JSON Schema show it."""
    assert [cls.kind for cls in LAYERS if not (cls.__doc__ or "").strip()] == []


# every layer's; see test_spec, test_network_io, test_share
COMMON = {"name", "source", "training_only", "trainable", "share", "share_tensors"}


def test_every_canonical_argument_appears_in_some_case():
    """Each layer argument (but the common name, from, training_only) is used by some case."""
    used: dict[str, set[str]] = {}
    for c in CASES:
        cls = BY_KIND[c.kind]
        for key in c.args:
            for name, info in cls.model_fields.items():
                aliases = getattr(info.validation_alias, "choices", None) or [name]
                if key == name or key in aliases:
                    used.setdefault(c.kind, set()).add(name)
    unused = {cls.kind: sorted(set(cls.model_fields) - COMMON - used.get(cls.kind, set())) for cls in LAYERS}
    assert {k: v for k, v in unused.items() if v} == {}
