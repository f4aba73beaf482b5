"""What analyze shares between layers and steps to stay linear: the same figures as without it."""

from __future__ import annotations

import gc

import netcalc
from netcalc import engine
from netcalc.collector import paused
from netcalc.report import analyze


def _dag(named: bool) -> str:
    """Units of a 3x3 convolution, relu, 1x1 convolution and an add and a concat from the first."""
    lines = []
    for u in range(4):
        name = f", name: c{u}" if named else ""
        lines += [
            f"  - conv2d: {{filters: 8, kernel: 3, padding: 1{name}}}",
            "  - relu",
            "  - conv2d: {filters: 8, kernel: 1}",
            f"  - add: {{from: [-1, {f'c{u}' if named else -3}]}}",
            f"  - concat: {{from: [-1, {f'c{u}' if named else -4}]}}",
            "  - conv2d: {filters: 8, kernel: 1}",
        ]
    return "input: [8, 16, 16]\nlayers:\n" + "\n".join(lines) + "\n"


def test_layers_alike_but_for_their_name_and_from_give_the_same_figures_and_fields():
    named, unnamed = analyze(netcalc.load(_dag(True))), analyze(netcalc.load(_dag(False)))
    assert [r.name for r in named.rows] != [r.name for r in unnamed.rows]
    for a, b in zip(named.rows, unnamed.rows, strict=True):
        assert (a.output_shape, a.tensors, a.state_tensors, a.counts) == (
            b.output_shape,
            b.tensors,
            b.state_tensors,
            b.counts,
        )
    assert named.receptive_field is not None and unnamed.receptive_field is not None
    fields = [f.to_dict() for f in named.receptive_field.layers]
    assert fields == [f.to_dict() for f in unnamed.receptive_field.layers]
    assert fields[0]["H"]["size"] == 3 and fields[-1]["H"]["size"] == 1 + 4 * 2  # four 3x3 convolutions


def test_layers_of_other_arguments_are_not_taken_for_alike():
    network = netcalc.load(
        "input: [4, 8, 8]\nlayers:\n  - conv2d: {filters: 4, kernel: 3, name: a}\n"
        "  - conv2d: {filters: 4, kernel: 3, bias: false, name: b}\n"
    )
    first, second = engine.rows(network)
    assert first.counts.params == 4 * 4 * 9 + 4 and second.counts.params == 4 * 4 * 9


def test_a_paused_step_leaves_what_it_made_out_of_the_young_generation():
    gc.collect()
    with paused():
        kept = [[i] for i in range(50_000)]
    assert gc.isenabled()
    assert gc.get_count()[0] < 1_000  # the 50,000 lists are not waiting for a young collection
    assert len(kept) == 50_000


def test_a_paused_step_leaves_the_callers_frozen_objects_frozen():
    gc.collect()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with paused():
            made = [[i] for i in range(1_000)]
        assert gc.get_freeze_count() == frozen and len(made) == 1_000
    finally:
        gc.unfreeze()
