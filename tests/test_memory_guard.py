"""The memory guard is a real upper bound, and never far above the truth.

Each run's real peak is measured with tracemalloc (NumPy traces every array it allocates) and
compared with `estimate_peak_bytes`: estimate >= measured, and estimate <= 1.5 x measured plus a
small constant (the fixed allowance for what does not grow with the batch). The batch of each run
is chosen so that its arrays are a few MiB: the ratio then says something about the estimate, not
about the constant. The shapes stay small so that the whole file runs in seconds.
"""

from __future__ import annotations

import gc
import tracemalloc
from typing import Any

import pytest
from cases import CASES, Case, spec_dict
from hypothesis import HealthCheck, given, settings
from test_property import networks

import netcalc
from netcalc import backend
from netcalc.errors import ResourceError
from netcalc.graph import Network
from netcalc.spec import read
from netcalc.verification import OVERHEAD_BYTES, OVERHEAD_PER_LAYER, estimate_peak_bytes

SLACK = 1024 * 1024  # the "small constant" of the bound
RATIO = 1.5
ITEMSIZE = {"float32": 4, "float64": 8}


def measured_peak(network: Network, batch: int, dtype: str = "float32", training: bool = False) -> int:
    """Bytes allocated at the peak of one backend run (tracemalloc: every NumPy array is traced)."""
    gc.collect()
    tracemalloc.start()
    try:
        backend.run(network, batch=batch, dtype=dtype, training=training)
        peak: int = tracemalloc.get_traced_memory()[1]
        return peak
    finally:
        tracemalloc.stop()


def batch_for(network: Network, itemsize: int, target: int = 4 * 2**20) -> int:
    """A batch whose arrays are about `target` bytes by the estimate, from 1 to 4096."""
    fixed = OVERHEAD_BYTES + OVERHEAD_PER_LAYER * len(network.nodes)
    one = estimate_peak_bytes(network, 1, itemsize) - fixed
    per_sample = max(estimate_peak_bytes(network, 2, itemsize) - fixed - one, 1)
    return int(max(1, min(4096, target // per_sample)))


def bracket(network: Network, dtype: str = "float32", training: bool = False) -> tuple[int, int, int]:
    """(batch, estimate, measured) of one run at a batch of a few MiB."""
    itemsize = ITEMSIZE[dtype]
    batch = batch_for(network, itemsize)
    estimate = estimate_peak_bytes(network, batch, itemsize, training=training)
    return batch, estimate, measured_peak(network, batch, dtype, training)


def assert_bounded(name: str, estimate: int, measured: int) -> None:
    assert estimate >= measured, f"{name}: estimate {estimate:,} below the measured peak {measured:,}"
    assert estimate <= RATIO * measured + SLACK, (
        f"{name}: estimate {estimate:,} over {RATIO} x the measured peak {measured:,} + {SLACK:,}"
    )


@pytest.fixture(scope="module", autouse=True)
def warm_up() -> None:
    """NumPy's generators allocate lookup tables on their first draw: not part of any run."""
    measured_peak(netcalc.load({"input": [4], "layers": ["relu"]}), 2)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_estimate_bounds_the_measured_peak_on_every_case(case: Case, dtype: str) -> None:
    network = netcalc.load(spec_dict(case))
    batch, estimate, measured = bracket(network, dtype)
    assert_bounded(f"{case.id} at batch {batch}", estimate, measured)


@pytest.mark.parametrize("kind", ["dropout", "stochastic_depth"])
def test_estimate_bounds_training_runs(kind: str) -> None:
    network = netcalc.load({"input": [16, 8, 8], "layers": ["relu", {kind: {"rate": 0.3}}, "sigmoid"]})
    batch, estimate, measured = bracket(network, training=True)
    assert_bounded(f"{kind} training at batch {batch}", estimate, measured)


# The zoo models that run in well under a second at these inputs (the others are measured by
# benchmarks/memory_guard.py: their weights alone take seconds to draw).
ZOO = {
    "lenet5": [1, 32, 32],
    "resnet18": [3, 32, 32],
    "mobilenet_v2": [3, 32, 32],
    "mobilenet_v3_small": [3, 32, 32],
    "shufflenet_v2_x1_0": [3, 32, 32],
    "efficientnet_b0": [3, 32, 32],
}


@pytest.mark.parametrize("name", sorted(ZOO))
def test_estimate_bounds_the_measured_peak_on_zoo_models(name: str) -> None:
    raw, _ = read(f"zoo:{name}")
    network = netcalc.load({**raw, "input": ZOO[name]})
    estimate = estimate_peak_bytes(network, 1, 4)
    assert_bounded(name, estimate, measured_peak(network, 1))


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(networks())
def test_estimate_bounds_the_measured_peak_on_random_networks(spec: dict[str, Any]) -> None:
    network = netcalc.load(spec)
    batch, estimate, measured = bracket(network, "float64")
    assert_bounded(f"random network at batch {batch}", estimate, measured)


@pytest.mark.parametrize(
    ("spec", "size"),
    [
        (
            {
                "input": [256, 64, 64],
                "layers": [{"conv2d": {"filters": 256, "kernel": 31, "padding": 15, "groups": 256}}],
            },
            "3.76 GiB",  # columns 256 * 961 * 4096 * 4 B = 3.754 GiB, input, output, weights; no padded copy
        ),
        (
            {
                "input": [1, 64, 64],
                "layers": [{"conv_transpose2d": {"filters": 1024, "kernel": 31, "padding": 15}}],
            },
            "15.08 GiB",
        ),
    ],
    ids=["grouped_conv_k31", "conv_transpose_1024_k31"],
)
def test_guard_refuses_the_issue_cases_before_allocating(spec: dict[str, Any], size: str) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(ResourceError, match=f"needs about {size}"):
            netcalc.run(spec)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20  # refused before the input, let alone the im2col columns


def test_grouped_conv_estimate_holds_at_a_small_scale() -> None:
    """The issue's grouped conv, scaled down: its im2col columns are counted in full."""
    spec = {
        "input": [16, 32, 32],
        "layers": [{"conv2d": {"filters": 16, "kernel": 15, "padding": 7, "groups": 16}}],
    }
    network = netcalc.load(spec)
    estimate = estimate_peak_bytes(network, 1, 4)
    assert_bounded("grouped conv k15", estimate, measured_peak(network, 1))
