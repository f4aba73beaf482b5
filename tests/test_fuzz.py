"""Mutated, random and hostile specs: every one ends in a report or a NetcalcError, nothing else.

Seeded mutation of valid specs (deterministic: the same specs on every run) plus hypothesis
strategies with a derandomized search, a few thousand examples in all.
"""

from __future__ import annotations

import contextlib
import copy
import random
from pathlib import Path

import yaml
from cases import CASES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import netcalc
from netcalc.catalog import catalog
from netcalc.layers import BY_KIND

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = [ROOT / "specs" / "examples" / "tiny-resnet.yaml", *sorted(ROOT.glob("specs/dense-vs-conv/*.yaml"))]

EXTRA = """\
name: kitchen-sink
input: [3, 16, 16]
blocks:
  cbr:
    args: {filters: 8, stride: 1}
    layers:
      - conv2d: {filters: $filters, kernel: 3, stride: $stride, padding: same, bias: false, name: conv}
      - batchnorm
      - relu6
  down:
    args: [width]
    layers:
      - cbr: {filters: $width * 2, name: body}
      - maxpool2d: {size: 2, ceil_mode: true}
layers:
  - down: {width: 2, name: enc1}
  - down: {width: 4, name: enc2, repeat: 2}
  - conv_transpose2d: {filters: 8, kernel: 2, stride: 2, name: up}
  - upsample: {scale: 2, mode: bilinear}
  - concat: {from: [-1, enc1]}
  - conv2d: {filters: 16, kernel: 1, groups: 4}
  - channel_shuffle: {groups: 4, name: shuffled}
  - global_avgpool
  - sigmoid
  - multiply: {from: [shuffled, -1]}
  - reshape: {shape: [16, -1]}
  - permute: {dims: [1, 0]}
  - class_token
  - pos_embedding
  - layernorm
  - attention: {heads: 4}
  - dense: {units: 32, activation: gelu}
  - dropout: {p: 0.1}
  - select: {index: 0}
  - dense: {units: 10}
  - softmax
"""

BASES = [yaml.safe_load(path.read_text()) for path in SHIPPED] + [yaml.safe_load(EXTRA)]
KINDS = list(BY_KIND)
ARGUMENTS = {entry["type"]: [a["name"] for a in entry["arguments"]] for entry in catalog([])}
VALUES = [
    0,
    -1,
    -5,
    1,
    2,
    3,
    7,
    64,
    10**30,
    2**63,
    -(10**20),
    0.5,
    1.5,
    1e308,
    float("inf"),
    float("nan"),
    -0.0,
    "",
    "same",
    "valid",
    "input",
    "bilinear",
    "$x",
    "$filters * 4",
    "$width ** 99",
    "$width // 0",
    "relu",
    "x" * 300,
    None,
    True,
    False,
    [],
    [1],
    [1, 7],
    [2, 2, 2],
    [-1, "input"],
    [0, 1],
    {},
    {"a": 1},
    [[1]],
    "\x00",
    "é",
    "-1",
    "1e3",
]
FROMS = [-1, -2, -50, 0, 3, "input", "stem", "enc1", "enc2.1", "nope", [-1, "input"], [-1, -2, -3], [], None]


def value_of(rng: random.Random):
    """A random value; a copy, so that later edits cannot change VALUES itself."""
    return copy.deepcopy(rng.choice(VALUES))


def check(source, batch: int = 1) -> None:
    """Load and analyze; a NetcalcError is a fine outcome, anything else fails the test."""
    with contextlib.suppress(netcalc.NetcalcError):
        netcalc.analyze(netcalc.load(source), batch=batch)


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from _paths(value, (*prefix, i))


def mutate(spec, rng: random.Random):
    """1 to 4 random edits: delete a key, change a value or type, swap a layer kind, set `from`, nest."""
    spec = copy.deepcopy(spec)
    for _ in range(rng.randint(1, 4)):
        path = rng.choice(list(_paths(spec))[1:])
        parent = spec
        for key in path[:-1]:
            parent = parent[key]
        key, op = path[-1], rng.random()
        if op < 0.2:
            del parent[key]
        elif op < 0.5:
            parent[key] = value_of(rng)
        elif op < 0.6:
            parent[key] = rng.randint(-(2**70), 2**70)
        elif op < 0.7 and isinstance(parent, dict) and len(parent) == 1:
            parent[rng.choice([*KINDS, "nope", "conv", "down", "cbr"])] = parent.pop(key)
        elif op < 0.8 and isinstance(parent[key], dict):
            parent[key]["from"] = copy.deepcopy(rng.choice(FROMS))
        elif op < 0.9:
            value = parent[key]
            for _ in range(rng.choice([1, 2, 50])):
                value = [value] if rng.random() < 0.5 else {"wrap": value}
            parent[key] = value
        elif isinstance(parent, list):
            kind = rng.choice(KINDS)
            parent.insert(key, kind if rng.random() < 0.5 else {kind: {}})
    return spec


def test_seeded_mutations_of_valid_specs():
    rng = random.Random(20240229)
    for base in BASES:
        check(base)  # the bases themselves are valid
        netcalc.analyze(netcalc.load(base))
    for _ in range(2000):
        spec = mutate(rng.choice(BASES), rng)
        if rng.random() < 0.5:
            check(spec, batch=rng.choice([1, 3]))
        else:
            try:
                text = yaml.safe_dump(spec, allow_unicode=True)
            except yaml.YAMLError:
                continue
            check(text + "\n")


def test_seeded_random_arguments_for_every_layer_type():
    rng = random.Random(7)
    shapes = [(), (1,), (5,), (2, 3), (4, 7), (3, 8, 8), (6, 5, 9), (2, 4, 4, 4), (1, 10**20, 3)]
    for _ in range(2500):
        kind = rng.choice(KINDS)
        args = {name: value_of(rng) for name in ARGUMENTS[kind] if rng.random() < 0.6}
        shape = rng.choice(shapes)
        if BY_KIND[kind].arity is None:
            args["from"] = rng.choice([["input", "input"], [-1, "input", "input"], ["input"], "input"])
        layers = [{kind: args}]
        if shape == ():  # reach a scalar sample through select
            layers.insert(0, {"select": {"index": 0}})
            shape = (3,)
        check({"input": list(shape), "layers": layers})


def test_seeded_case_table_with_one_argument_changed():
    rng = random.Random(11)
    for _ in range(1000):
        case = rng.choice(CASES)
        args = dict(case.args)
        names = ARGUMENTS[case.kind]
        if names:
            args[rng.choice(names)] = value_of(rng)
        inputs = [list(s) for s in case.inputs]
        if rng.random() < 0.3:
            inputs[0][rng.randrange(len(inputs[0]))] = rng.choice([1, 2, 3, 10**12])
        args["from"] = ["input"] * len(inputs) if len(inputs) > 1 else "input"
        check({"input": inputs[0], "layers": [{case.kind: args}]})


def test_deep_nesting():
    chain = {f"b{i}": {"layers": [f"b{i + 1}"]} for i in range(500)}
    chain["b500"] = {"layers": ["relu"]}
    check({"input": [3], "blocks": chain, "layers": ["b0"]})
    nested = "relu"
    for _ in range(5000):
        nested = [nested]
    check({"input": [3], "layers": [nested]})
    check({"input": [3], "layers": [{"relu": {"name": nested}}]})
    check("input: [3]\nlayers: " + "[" * 5000 + "relu" + "]" * 5000 + "\n")
    check("input: [3]\nlayers:\n  - relu: " + "{a: " * 2000 + "1" + "}" * 2000 + "\n")
    shared = ["relu"] * 10
    for _ in range(6):
        shared = [shared] * 10  # 10 ** 7 values behind 70 list objects
    check({"input": [3], "layers": [{"relu": {"name": shared}}]})


SETTINGS = settings(
    max_examples=400, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)
)


@SETTINGS
@given(st.binary(max_size=300))
def test_random_bytes_as_yaml(data):
    check(data.decode("utf-8", errors="replace") + "\n")
    check(data.decode("latin-1") + "\n")


@SETTINGS
@given(st.text(alphabet="{}[]:,-&*!|>'\"#$ \n\tabcinputlayersreludense0123456789", max_size=200))
def test_random_yaml_like_text(text):
    check("input: [3, 8, 8]\nlayers:\n" + text + "\n")
    check(text + "\n")


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["input", "relu", "same", "$width", "-1"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from([*KINDS[:12], "filters", "kernel", "units", "from", "name", "size", "x"]),
            children,
            max_size=3,
        )
    ),
    max_leaves=12,
)


@SETTINGS
@given(
    st.one_of(st.lists(st.integers(-2, 40), min_size=0, max_size=4), JSON),
    st.lists(
        st.one_of(st.sampled_from(KINDS), st.dictionaries(st.sampled_from(KINDS), JSON, max_size=2)),
        max_size=5,
    ),
    st.dictionaries(st.text(max_size=4), JSON, max_size=2),
)
def test_random_structures(input_shape, layers, blocks):
    check({"input": input_shape, "layers": layers})
    check({"input": input_shape, "blocks": blocks, "layers": layers})
