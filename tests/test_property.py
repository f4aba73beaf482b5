"""Property: on randomly generated valid networks, the engine and the NumPy backend agree.

Every example builds a network layer by layer (chains, skip connections, every layer type,
random kernel/stride/padding/dilation/groups, frozen layers, dense layers sharing an earlier
dense layer's weights), analyzes it and executes it; the output shape, every named tensor's
element count, the neurons and the MACs must agree on every layer.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import netcalc
import netcalc.layers
from netcalc.errors import NetcalcError
from netcalc.layers import BY_KIND

EXAMPLES = int(os.environ.get("NETCALC_PROPERTY_EXAMPLES", "1000"))
# CI draws the same networks every run (a failure is reproducible, never a coin toss);
# NETCALC_PROPERTY_RANDOM=1 draws new ones (with --hypothesis-seed=N to replay a run) to explore
RANDOM = bool(os.environ.get("NETCALC_PROPERTY_RANDOM"))
ACTIVATIONS = [cls.kind for cls in netcalc.layers.ACTIVATIONS]  # the one list: the layer list


def spatial_layer(draw, rank: int, channels: int) -> dict:
    """A random layer for a (C, *spatial) input of this rank."""
    small = st.integers(1, 3)
    per_axis = st.one_of(small, st.lists(small, min_size=rank, max_size=rank))
    kind = draw(
        st.sampled_from(
            [
                "conv",
                "conv",
                "convt",
                "maxpool",
                "avgpool",
                "upsample",
                "adaptive",
                "global",
                "batchnorm",
                "shuffle",
                "crop",
                "layer_scale",
                "dropout",
                "slice",
                "pad",
                "act",
                "prelu",
            ]
        )
    )
    if kind == "conv":
        groups = draw(st.sampled_from([g for g in (1, 2, channels) if channels % g == 0]))
        args = {
            "filters": groups * draw(st.integers(1, 3)),
            "kernel": draw(per_axis),
            "stride": draw(per_axis),
            "dilation": draw(st.integers(1, 2)),
            "groups": groups,
            "bias": draw(st.booleans()),
            "padding": draw(st.one_of(st.sampled_from(["valid", "same"]), st.integers(0, 2))),
        }
        if draw(st.booleans()):
            args["activation"] = draw(st.sampled_from(ACTIVATIONS))
        return {f"conv{rank}d": args}
    if kind == "convt":
        stride = draw(st.integers(1, 3))
        return {
            f"conv_transpose{rank}d": {
                "filters": draw(st.integers(1, 4)),
                "kernel": draw(per_axis),
                "stride": stride,
                "padding": draw(st.integers(0, 1)),
                "output_padding": draw(st.integers(0, stride - 1)),
                "bias": draw(st.booleans()),
            }
        }
    if kind in ("maxpool", "avgpool"):
        size = draw(st.integers(1, 3))
        padding = st.one_of(st.integers(0, size // 2), st.sampled_from(["valid", "same"]))
        args = {
            "size": size,
            "stride": draw(st.one_of(st.none(), st.integers(1, 3))),
            "padding": draw(padding),
            "ceil_mode": draw(st.booleans()),
        }
        if kind == "maxpool":
            args["dilation"] = draw(st.integers(1, 2))
        else:
            args["count_include_pad"] = draw(st.booleans())
        return {f"{kind}{rank}d": args}
    if kind == "upsample":
        mode = draw(st.sampled_from(["nearest", {1: "linear", 2: "bilinear", 3: "trilinear"}[rank]]))
        if draw(st.booleans()):
            return {"upsample": {"scale": draw(st.sampled_from([1, 2, 1.5, 3])), "mode": mode}}
        return {"upsample": {"size": draw(st.integers(1, 7)), "mode": mode}}
    if kind == "adaptive":
        return {f"adaptive_avgpool{rank}d": {"size": draw(st.integers(1, 4))}}
    if kind == "global":
        return draw(st.sampled_from(["global_avgpool", "global_maxpool"]))
    if kind == "shuffle":
        return {
            "channel_shuffle": {"groups": draw(st.sampled_from([g for g in (1, 2, 3) if channels % g == 0]))}
        }
    if kind == "crop":
        return {"center_crop": {"size": draw(st.integers(1, 4))}}
    if kind == "batchnorm":
        norm = draw(st.sampled_from(["layernorm", "batchnorm", "groupnorm", "instancenorm", "rmsnorm"]))
        if norm == "layernorm":
            return {"layernorm": {"dims": draw(st.integers(1, rank + 1)), "affine": draw(st.booleans())}}
        if norm == "groupnorm":
            groups = draw(st.sampled_from([g for g in (1, 2, 3, channels) if channels % g == 0]))
            return {"groupnorm": {"groups": groups, "affine": draw(st.booleans())}}
        return {norm: {"affine": draw(st.booleans())}}
    if kind == "pad":
        if draw(st.booleans()):
            return {"pad": {"padding": draw(st.integers(0, 2))}}
        pairs = [[draw(st.integers(0, 2)), draw(st.integers(0, 2))] for _ in range(rank + 1)]
        return {"pad": {"padding": pairs, "value": draw(st.sampled_from([0.0, 1.5]))}}
    if kind == "dropout":
        if draw(st.booleans()):
            return {"stochastic_depth": {"rate": 0.2, "mode": draw(st.sampled_from(["row", "batch"]))}}
        return {"dropout": {"rate": draw(st.sampled_from([0.0, 0.25, 0.5]))}}
    if kind == "slice":
        return {
            "slice": {
                "axis": draw(st.integers(0, rank)),
                "start": draw(st.integers(-2, 1)),
                "end": draw(st.one_of(st.none(), st.integers(-1, 3))),
            }
        }
    if kind == "layer_scale":
        return {"layer_scale": {"init": 0.5}}
    if kind == "prelu":  # one slope, one per channel (by name or PyTorch's count C), one per element
        return {"prelu": {"parameters": draw(st.sampled_from([1, "channel", channels, "element"]))}}
    return draw(st.sampled_from(ACTIVATIONS))


def vector_layer(draw, shape) -> dict:
    """A random layer for a (N, D) token or (F,) vector input."""
    options = ["dense", "dense", "layernorm", "rmsnorm", "pad", "act", "dropout"]
    if len(shape) == 2:
        options += ["attention", "class_token", "pos_embedding", "select", "permute", "reshape", "recurrent"]
    if len(shape) == 3:
        options += ["attention", "attention"]
    kind = draw(st.sampled_from(options))
    if kind == "dense":
        args = {"units": draw(st.integers(1, 8)), "bias": draw(st.booleans())}
        if draw(st.booleans()):
            args["activation"] = draw(st.sampled_from(ACTIVATIONS))
        return {"dense": args}
    if kind == "attention":
        d = shape[-1]
        heads = draw(st.sampled_from([h for h in (1, 2, 4) if d % h == 0]))
        args: dict = {"heads": heads, "bias": draw(st.booleans())}
        if draw(st.booleans()):  # the forms beyond nn.MultiheadAttention's self-attention
            args["causal"] = draw(st.booleans())
            args["kv_heads"] = draw(st.sampled_from([g for g in (1, 2, 4) if heads % g == 0]))
            if draw(st.booleans()):
                args["head_dim"] = draw(st.integers(1, 5))
            if draw(st.booleans()):
                args["bias"] = draw(st.lists(st.sampled_from(["q", "k", "v", "out"]), unique=True))
            if draw(st.booleans()):
                args["relative_bias"] = draw(st.integers(1, 9))
            if draw(st.booleans()):  # cross-attention to the network's input, its width may differ
                args["from"] = [-1, "input"]
        return {"attention": args}
    if kind == "recurrent":
        args = {
            "units": draw(st.integers(1, 5)),
            "layers": draw(st.integers(1, 2)),
            "bidirectional": draw(st.booleans()),
            "return_sequences": draw(st.booleans()),
        }
        recurrent = draw(st.sampled_from(["rnn", "lstm", "gru"]))
        args["bias"] = draw(st.sampled_from([True, False] + ([] if recurrent == "gru" else ["single"])))
        if recurrent == "rnn":
            args["nonlinearity"] = draw(st.sampled_from(["tanh", "relu"]))
        return {recurrent: args}
    if kind == "rmsnorm":
        return {"rmsnorm": {"affine": draw(st.booleans())}}
    if kind == "pad":
        pairs = [[draw(st.integers(0, 2)), draw(st.integers(0, 2))] for _ in shape]
        return {"pad": {"padding": pairs}}
    if kind == "select":
        return {"select": {"axis": 0, "index": draw(st.integers(-shape[0], shape[0] - 1))}}
    if kind == "permute":
        return {"permute": {"dims": [1, 0]}}
    if kind == "reshape":
        return {"reshape": {"shape": [shape[1], -1]}}
    if kind == "pos_embedding" and draw(st.booleans()):
        return {"pos_embedding": {"length": shape[0] + draw(st.integers(0, 3))}}
    if kind in ("layernorm", "class_token", "pos_embedding"):
        return kind
    if kind == "dropout":
        return {"dropout": {"rate": 0.1}}
    return draw(st.sampled_from(ACTIVATIONS))


@st.composite
def networks(draw) -> dict:
    """A random valid spec: a chain with merges back to earlier layers of matching shape."""
    family = draw(st.sampled_from(["1d", "2d", "2d", "3d", "tokens", "ids", "vector"]))
    channels = draw(st.integers(1, 6))
    if family == "tokens":
        shape = (draw(st.integers(1, 6)), 4 * draw(st.integers(1, 3)))
        if draw(st.integers(0, 3)) == 0:  # windows of tokens (Swin): attention per leading index
            shape = (draw(st.integers(1, 3)), *shape)
    elif family == "ids":  # token ids (L,): an embedding first, then layers on its tokens
        shape = (draw(st.integers(1, 6)),)
    elif family == "vector":
        shape = (draw(st.integers(1, 12)),)
    else:
        rank = int(family[0])
        size = st.integers(3, 9 if rank < 3 else 5)
        shape = (channels, *(draw(size) for _ in range(rank)))
    spec = {"name": "random", "input": list(shape), "layers": []}
    shapes = [tuple(shape)]  # shape after each layer; index 0 is the input
    if family == "ids":
        dim = 4 * draw(st.integers(1, 3))
        spec["layers"].append({"embedding": {"vocab": draw(st.integers(1, 20)), "dim": dim}})
        shapes.append((shape[0], dim))
    for _ in range(draw(st.integers(1, 10))):
        current = shapes[-1]
        if family in ("tokens", "ids", "vector"):
            entry = vector_layer(draw, current)
        else:
            entry = spatial_layer(draw, len(current) - 1, current[0])
        merge = _merge(draw, shapes)
        candidate = merge or _shared_or_frozen(draw, entry, spec["layers"], shapes)
        trial = {**spec, "layers": [*spec["layers"], candidate]}
        try:
            report = netcalc.analyze(netcalc.load(trial))
        except NetcalcError:
            continue  # an invalid random choice (e.g. a kernel larger than the input): skip it
        if report.totals.activations > 60_000:
            continue
        spec = trial
        shapes.append(report.rows[-1].output_shape)
    if not spec["layers"]:
        spec["layers"] = ["relu"]
    if draw(st.booleans()):
        spec["layers"].append("flatten")
    return spec


def _shared_or_frozen(draw, entry, layers: list, shapes: list) -> dict | str:
    """Sometimes a dense layer shares an earlier dense layer's weights (the same input width, its
    units, `share:`), and sometimes a layer with arguments is frozen (`trainable: false`)."""
    if not isinstance(entry, dict):
        return entry
    ((kind, args),) = entry.items()
    args = dict(args)
    if kind == "dense":
        owners = [
            f"d{i}"
            for i, earlier in enumerate(layers)
            if isinstance(earlier, dict)
            and "dense" in earlier
            and earlier["dense"].get("name") == f"d{i}"
            and shapes[i][-1] == shapes[-1][-1]  # the same input width (shapes[i]: its input)
        ]
        if owners and draw(st.booleans()):
            owner = draw(st.sampled_from(owners))
            args["share"] = owner
            args["units"] = layers[int(owner[1:])]["dense"]["units"]
        elif draw(st.booleans()):  # a square one: the width it keeps lets a later one share it
            args["name"] = f"d{len(layers)}"
            args["units"] = shapes[-1][-1]
    if draw(st.integers(0, 5)) == 0:
        args["trainable"] = False
    return {kind: args}


def _merge(draw, shapes) -> dict | None:
    """Sometimes a skip connection to an earlier output of a compatible shape."""
    if len(shapes) < 2 or draw(st.integers(0, 3)) != 0:
        return None
    current = shapes[-1]
    back = [i for i, s in enumerate(shapes[:-1]) if s == current]
    if back:
        i = draw(st.sampled_from(back))
        kind = draw(st.sampled_from(["add", "multiply", "concat", "matmul"]))  # matmul: square last axes
        return {kind: {"from": [-1, i - len(shapes) + 1 if i else "input"]}}
    return None


# A random dilated max pool can have a window made only of padding: -inf, as in PyTorch, and then
# NaN downstream. Shapes and counts are what this test checks; values are the kernels' tests' job.
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@settings(
    max_examples=EXAMPLES, deadline=None, derandomize=not RANDOM, suppress_health_check=list(HealthCheck)
)
@given(networks())
def test_engine_and_backend_agree_on_random_networks(spec):
    parsed = netcalc.load(spec)
    report = netcalc.analyze(parsed)
    verification = netcalc.verify(parsed, batch=2, dtype="float64")
    assert verification.ok, "\n".join(verification.failures())
    result = netcalc.run(parsed, batch=3, dtype="float64")
    assert result.output.shape == (3, *report.output_shape)
    assert [t.output_shape for t in result.traces] == [r.output_shape for r in report.rows]


def test_generator_reaches_every_layer_type():
    """Guard: the random networks exercise every layer type the engine knows (or it's listed)."""
    seen: set[str] = set()

    @settings(
        max_examples=1000,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(networks())
    def collect(spec):
        for row in netcalc.analyze(netcalc.load(spec)).rows:
            seen.add(row.kind)
            seen.update({"shares"} if row.shares else set())
            seen.update({"frozen"} if not row.trainable and row.tensors else set())

    collect()
    missing = set(BY_KIND) - seen - {"conv_transpose1d", "conv_transpose3d"}
    assert not missing, f"random networks never produced: {sorted(missing)}"
    assert {"shares", "frozen"} <= seen, "random networks never shared or froze a layer"
