"""Seeds: weights depend only on the seed and the spec; inputs and training masks on their own streams."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper
from typer.testing import CliRunner

import netcalc
from netcalc.cli import app

TINY_RESNET = "specs/examples/tiny-resnet.yaml"


def test_run_seed_gives_the_same_weights_at_batch_1_and_2() -> None:
    one = netcalc.run(TINY_RESNET, seed=0, batch=1).flat_weights()
    two = netcalc.run(TINY_RESNET, seed=0, batch=2).flat_weights()
    assert one.keys() == two.keys()
    for key in one:
        np.testing.assert_array_equal(one[key], two[key], err_msg=key)


def test_the_weights_do_not_depend_on_the_input_given() -> None:
    x = np.ones((3, *netcalc.load(TINY_RESNET).input), dtype=np.float32)
    drawn = netcalc.run(TINY_RESNET, seed=4).flat_weights()
    given = netcalc.run(TINY_RESNET, seed=4, x=x).flat_weights()
    for key in drawn:
        np.testing.assert_array_equal(drawn[key], given[key], err_msg=key)


def test_a_tensor_does_not_depend_on_the_layers_before_it() -> None:
    short = {"input": [4], "layers": [{"dense": {"units": 3, "name": "head"}}]}
    long = {
        "input": [4],
        "layers": [{"dense": {"units": 4, "name": "pre"}}, {"dense": {"units": 3, "name": "head"}}],
    }
    a = netcalc.run(short, seed=9).weights["head"]
    b = netcalc.run(long, seed=9).weights["head"]
    np.testing.assert_array_equal(a["weight"], b["weight"])
    np.testing.assert_array_equal(a["bias"], b["bias"])


def test_the_input_stream_is_the_same_whatever_the_weights() -> None:
    plain = netcalc.run({"input": [5], "layers": ["relu"]}, seed=2, batch=3).output
    # the last layer is relu of the input again: the dense layer's draws did not move its stream
    weighted = {"input": [5], "layers": [{"dense": {"units": 7}}, {"relu": {"from": "input"}}]}
    np.testing.assert_array_equal(netcalc.run(weighted, seed=2, batch=3).output, plain)


def test_different_seeds_give_different_weights() -> None:
    a = netcalc.run(TINY_RESNET, seed=0).flat_weights()
    b = netcalc.run(TINY_RESNET, seed=1).flat_weights()
    assert any(not np.array_equal(a[k], b[k]) for k in a)


def test_run_and_export_with_the_same_seed_use_identical_weights(tmp_path: Path) -> None:
    runner = CliRunner()
    saved = tmp_path / "w.npz"
    out = tmp_path / "m.onnx"
    assert (
        runner.invoke(
            app, ["run", TINY_RESNET, "--seed", "0", "--batch", "2", "--save-weights", str(saved)]
        ).exit_code
        == 0
    )
    assert runner.invoke(app, ["export", TINY_RESNET, "--seed", "0", "-o", str(out)]).exit_code == 0
    with np.load(saved) as data:
        ran = {k: data[k] for k in data.files}
    exported = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(out)).graph.initializer}
    for key, array in ran.items():
        np.testing.assert_array_equal(array, exported[key], err_msg=key)
