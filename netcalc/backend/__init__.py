"""The NumPy backend: executes a spec with real arrays (the only package that imports NumPy)."""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from math import prod

import numpy as np

from netcalc.backend.ops import OPS, Context
from netcalc.errors import NetcalcError, SpecError
from netcalc.graph import INPUT, Network
from netcalc.layers import BY_KIND, BatchNorm, Dropout, LeakyReLU, ReLU, ReLU6

DTYPES = {"float32": np.float32, "float64": np.float64}
RELUS = (ReLU, ReLU6, LeakyReLU)


@dataclass(frozen=True)
class Trace:
    """What the backend saw at one layer: its output shape and the arrays it allocated."""

    name: str
    kind: str
    output_shape: tuple[int, ...]  # per sample
    tensors: dict[str, int]  # element counts of trainable arrays
    state: dict[str, int]  # element counts of non-trainable arrays
    neurons: int
    macs: int


@dataclass
class Result:
    """The output of a run, every layer's trace, and the weights used (by layer, by tensor)."""

    output: np.ndarray
    traces: list[Trace] = field(default_factory=list)
    weights: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    def flat_weights(self) -> dict[str, np.ndarray]:
        """Weights keyed 'layer/tensor', as saved in .npz files."""
        return {f"{layer}/{name}": a for layer, ts in self.weights.items() for name, a in ts.items()}


def relu_fed(graph) -> set[int]:
    """Layers whose output reaches a ReLU through batchnorm/dropout only (He init for them)."""
    consumers: dict[int, list] = {}
    for node in graph.nodes:
        for i in node.inputs:
            consumers.setdefault(i, []).append(node)
    found = set()
    for node in graph.nodes:
        if BY_KIND.get(getattr(node.layer, "activation", None) or "") in RELUS:
            found.add(node.index)
            continue
        index = node.index
        while len(consumers.get(index, [])) == 1:
            nxt = consumers[index][0]
            if isinstance(nxt.layer, RELUS):
                found.add(node.index)
            if not isinstance(nxt.layer, BatchNorm | Dropout):
                break
            index = nxt.index
    return found


def stream(seed: int, key: str) -> np.random.Generator:
    """The generator of one named stream of a run: its values depend on the seed and the key only.

    A tensor's key is 'layer path/tensor name', so a weight is the same whatever the batch, the
    input, or the other layers drawn before it; the input and training masks have their own keys.
    crc32 is stable across processes (Python's hash() of a str is salted per process).
    """
    return np.random.default_rng([seed, zlib.crc32(key.encode("utf-8"))])


INPUT_STREAM = "<input>"  # no layer path has angle brackets: a layer name is an identifier
TRAINING_STREAM = "<training>"


def init_tensor(name: str, shape: tuple[int, ...], he: bool, layer, rng, dtype) -> np.ndarray:
    """Seeded initial values (documented in the README, 'Backend'), drawn at the run's dtype."""
    fan_in = shape[1] * prod(shape[2:]) if len(shape) > 1 else shape[0]
    fan_out = shape[0] * prod(shape[2:]) if len(shape) > 1 else shape[0]

    def normal(std: float) -> np.ndarray:
        return rng.standard_normal(shape, dtype=dtype) * dtype(std)

    def uniform(low: float, high: float) -> np.ndarray:
        return rng.random(shape, dtype=dtype) * dtype(high - low) + dtype(low)

    if name in ("weight", "in_proj_weight", "out_proj.weight") and len(shape) > 1:
        if he:
            return normal(np.sqrt(2.0 / fan_in))
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return uniform(-limit, limit)
    if name in ("running_var", "weight"):  # batchnorm and layernorm scales, running variances
        return uniform(0.5, 1.5)
    if name == "scale":
        return np.full(shape, layer.init, dtype=dtype)
    if name in ("token", "embedding"):
        return normal(0.02)
    return uniform(-0.1, 0.1)  # biases and running means: small, non-zero, so each one shows


def run(
    network: Network,
    x: np.ndarray | None = None,
    weights: dict[str, np.ndarray] | None = None,
    seed: int = 0,
    batch: int = 1,
    dtype: str = "float32",
    training: bool = False,
    guard: Callable[[int, int], object] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Result:
    """Execute a network on real arrays; weights keyed 'layer/tensor' override the seeded ones.

    `guard(batch, itemsize)` is called before anything large is allocated: the memory guard.
    """
    if dtype not in DTYPES:
        raise NetcalcError(f"dtype must be one of {', '.join(DTYPES)} (got {dtype!r})")
    np_dtype = DTYPES[dtype]
    if x is not None:
        x = np.asarray(x, dtype=np_dtype)
        if tuple(x.shape[1:]) != network.input:
            raise SpecError(
                f"input array has shape {list(x.shape)} but the spec expects "
                f"[batch, {', '.join(map(str, network.input))}] — reshape it or fix 'input'"
            )
        batch = x.shape[0]
    if guard is not None:
        guard(batch, np.dtype(np_dtype).itemsize)
    if x is None:
        x = stream(seed, INPUT_STREAM).standard_normal((batch, *network.input), dtype=np_dtype)
    graph = network
    given = dict(weights or {})
    ctx = Context(training=training, rng=stream(seed, TRAINING_STREAM))
    values, result = {INPUT: x}, Result(output=x)
    last_use = {i: node.index for node in graph.nodes for i in node.inputs}
    he_init = relu_fed(graph)
    for node in graph.nodes:
        op = OPS[type(node.layer)]
        inputs = [values[i] for i in node.inputs]
        shapes = op.tensors(node.layer, inputs)
        he = node.index in he_init
        tensors = {
            name: _weight(node.path, name, shape, given, weights is not None, he, node.layer, seed, np_dtype)
            for name, shape in shapes.items()
        }
        y = op.forward(node.layer, inputs, tensors, ctx)
        if not y.flags.c_contiguous:  # a permute: copied once here, so every reshape after is a view
            y = np.ascontiguousarray(y)
        macs = op.macs(node.layer, inputs, tensors, y) if op.macs else 0
        result.traces.append(
            Trace(
                node.path,
                node.layer.kind,
                tuple(y.shape[1:]),
                {n: a.size for n, a in tensors.items() if n not in op.state},
                {n: a.size for n, a in tensors.items() if n in op.state},
                y[0].size if op.macs else 0,
                macs,
            )
        )
        result.weights[node.path] = tensors
        values[node.index] = y
        for i in set(node.inputs):
            if last_use.get(i) == node.index and i != INPUT:
                del values[i]
        if node.index not in last_use and node.index != len(graph.nodes) - 1:
            del values[node.index]  # nothing reads it: free it now, as the liveness pass assumes
            y = None  # (this name held it too)
        if progress:
            progress(node.index + 1, len(graph.nodes))
    if given:
        raise SpecError(f"weights file has tensors that match no layer: {', '.join(sorted(given))}")
    result.output = y
    return result


def _weight(layer: str, name: str, shape, given: dict, strict: bool, he: bool, spec_layer, seed: int, dtype):
    key = f"{layer}/{name}"
    if key not in given:
        # strict: weights were given, so every tensor must be there (also after the others
        # have been consumed: the last layer's tensors are checked too)
        if strict:
            raise SpecError(f"weights file has no tensor '{key}' (shape {list(shape)})")
        return init_tensor(name, tuple(shape), he, spec_layer, stream(seed, key), dtype)
    array = np.asarray(given.pop(key), dtype=dtype)
    if tuple(array.shape) != tuple(shape):
        raise SpecError(
            f"weights '{key}' has shape {list(array.shape)} but layer {layer} needs {list(shape)}"
        )
    return array


READ_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile)


def _why(error: Exception) -> str:
    if "pickled" in str(error):  # numpy's guess for any file that is not .npy/.npz
        return "not a NumPy file (or it holds Python objects, which netcalc never loads)"
    return f"{type(error).__name__}: {error}"


def _numeric(array: np.ndarray, what: str) -> np.ndarray:
    if array.dtype.kind not in "biuf":
        raise SpecError(f"{what} holds {array.dtype} values; netcalc needs real numbers")
    return array


def load_weights(path: str) -> dict[str, np.ndarray]:
    """Weights from an .npz file keyed 'layer/tensor' (no pickled objects, ever)."""
    try:
        data = np.load(path, allow_pickle=False)
        if isinstance(data, np.ndarray):
            raise SpecError(
                f"{path}: is one array (.npy); weights are an .npz of arrays keyed "
                "'layer/tensor', as run --save-weights writes them"
            )
        with data:
            return {key: _numeric(data[key], f"{path}: '{key}'") for key in data.files}
    except READ_ERRORS as error:
        raise SpecError(f"{path}: cannot read weights (an .npz of numeric arrays): {_why(error)}") from None


def load_array(path: str) -> np.ndarray:
    """One input array from a .npy file (no pickled objects, ever)."""
    try:
        data = np.load(path, allow_pickle=False)
    except READ_ERRORS as error:
        raise SpecError(f"{path}: cannot read the input array (a .npy file): {_why(error)}") from None
    if not isinstance(data, np.ndarray):
        data.close()
        raise SpecError(f"{path}: is an .npz archive; --input takes one .npy array")
    return _numeric(data, path)


def save(path: str, arrays: np.ndarray | dict[str, np.ndarray]) -> None:
    """Write one array (.npy) or named arrays (.npz), or a NetcalcError saying why not."""
    try:
        if isinstance(arrays, dict):
            np.savez(path, **arrays)
        else:
            np.save(path, arrays)
    except OSError as error:
        raise NetcalcError(f"{path}: cannot write: {error.strerror or error}") from None


def save_weights(path: str, result: Result) -> None:
    """Save the weights of a run to .npz, keyed 'layer/tensor'."""
    save(path, result.flat_weights())
