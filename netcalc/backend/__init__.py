"""The NumPy backend: executes a spec with real arrays (the only package that imports NumPy)."""

from __future__ import annotations

import os
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from math import prod
from pathlib import Path
from typing import IO, Any, TypeVar

import numpy as np
import numpy.typing as npt

from netcalc.backend.kernels import Array
from netcalc.backend.ops import OPS, Context
from netcalc.errors import NetcalcError, ResourceError, SpecError, UsageError
from netcalc.graph import INPUT, Network, Node
from netcalc.layers import BY_KIND, BatchNorm, Dropout, Layer, LayerScale, LeakyReLU, PReLU, ReLU, ReLU6

Float = type[np.float32] | type[np.float64]  # the run's element type
FloatT = TypeVar("FloatT", bound=np.floating[Any])
DTYPES: dict[str, Float] = {"float32": np.float32, "float64": np.float64}
RELUS = (ReLU, ReLU6, LeakyReLU, PReLU)


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
    live_bytes: int = 0  # bytes of the activation arrays alive while it ran (inputs, output, kept)


def live_bytes(arrays: list[np.ndarray]) -> int:
    """Bytes of the distinct memory these arrays hold: a view counts its base's buffer, once."""
    buffers: dict[int, int] = {}
    for array in arrays:
        base = array
        while isinstance(base.base, np.ndarray):
            base = base.base
        buffers[id(base)] = base.nbytes
    return sum(buffers.values())


@dataclass
class Result:
    """The output of a run, every layer's trace, and the weights used (by layer, by tensor)."""

    output: np.ndarray  # the first (or only) output
    traces: list[Trace] = field(default_factory=list)
    weights: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    outputs: dict[str, np.ndarray] = field(default_factory=dict)  # every output, by layer name
    shared: set[str] = field(default_factory=set)  # 'layer/tensor' keys of arrays another layer owns

    def flat_weights(self) -> dict[str, np.ndarray]:
        """Weights keyed 'layer/tensor', as saved in .npz files (a shared array once, at its owner)."""
        return {
            key: a
            for layer, ts in self.weights.items()
            for name, a in ts.items()
            if (key := f"{layer}/{name}") not in self.shared
        }


def relu_fed(graph: Network) -> set[int]:
    """Layers whose output reaches a ReLU through batchnorm/dropout only (He init for them)."""
    consumers: dict[int, list[Node]] = {}
    for node in graph.nodes:
        for i in node.inputs:
            consumers.setdefault(i, []).append(node)
    found: set[int] = set()
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


def in_place(graph: Network, training: bool = False) -> frozenset[int]:
    """The layers of a run that write their output over their first input's memory.

    Those whose op can (Op.in_place) where nothing else needs that memory: the input is the new
    array of a layer that is not a view (not a network input, whose array is the caller's, nor an
    output), and this layer is its last reader, with no view of it among the readers (a view would
    see the change). For the liveness pass the output is then a view of that input.
    """
    readers: dict[int, list[Node]] = {}
    for node in graph.nodes:
        for i in node.inputs:
            readers.setdefault(i, []).append(node)
    views = {node.index for node in graph.nodes if OPS[type(node.layer)].view(node.layer, training)}
    outputs = set(graph.outputs)
    found = set()
    for node in graph.nodes:
        source = node.inputs[0] if node.inputs else INPUT
        if source < 0 or source in outputs or source in views:
            continue
        if not OPS[type(node.layer)].in_place(node.layer, training):
            continue
        read = readers[source]
        if read[-1].index == node.index and not any(r.index in views for r in read):
            found.add(node.index)
    return frozenset(found)


def stream(seed: int, key: str) -> np.random.Generator:
    """The generator of one named stream of a run: its values depend on the seed and the key only.

    A tensor's key is 'layer path/tensor name', so a weight is the same whatever the batch, the
    input, or the other layers drawn before it; the input and training masks have their own keys.
    crc32 is stable across processes (Python's hash() of a str is salted per process).
    """
    return np.random.default_rng([seed, zlib.crc32(key.encode("utf-8"))])


INPUT_STREAM = "<input>"  # no layer path has angle brackets: a layer name is an identifier
TRAINING_STREAM = "<training>"


def init_tensor(
    name: str, shape: tuple[int, ...], he: bool, layer: Layer, rng: np.random.Generator, dtype: Float
) -> Array:
    """Seeded initial values (documented in the README, 'Backend'), drawn at the run's dtype."""
    fan_in = shape[1] * prod(shape[2:]) if len(shape) > 1 else shape[0]
    fan_out = shape[0] * prod(shape[2:]) if len(shape) > 1 else shape[0]

    # scaled in place: one array per draw, as NumPy's elided temporaries gave before
    def normal(std: float) -> Array:
        drawn: Array = rng.standard_normal(shape, dtype=dtype)
        drawn *= dtype(std)
        return drawn

    def uniform(low: float, high: float) -> Array:
        drawn: Array = rng.random(shape, dtype=dtype)
        drawn *= dtype(high - low)
        drawn += dtype(low)
        return drawn

    if isinstance(layer, PReLU):  # slopes around PyTorch's 0.25, each its own (any shape: per element too)
        return uniform(0.0, 0.5)
    projection = name.endswith(("proj_weight", "proj.weight"))  # attention's q, k, v, out
    if (name == "weight" or projection) and len(shape) > 1:
        if he:
            return normal(np.sqrt(2.0 / fan_in))
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return uniform(-limit, limit)
    if name in ("running_var", "weight"):  # batchnorm and layernorm scales, running variances
        return uniform(0.5, 1.5)
    if name == "scale" and isinstance(layer, LayerScale):
        return np.full(shape, layer.init, dtype=dtype)
    if name in ("token", "embedding", "relative_bias_table"):
        return normal(0.02)
    return uniform(-0.1, 0.1)  # biases and running means: small, non-zero, so each one shows


def input_stream(name: str) -> str:
    """The stream key of an input's random values: '<input>' for the one input, as in 0.1."""
    return INPUT_STREAM if name == "input" else f"<input {name}>"


def _inputs(
    network: Network, x: np.ndarray | dict[str, np.ndarray] | None, np_dtype: Float
) -> dict[int, np.ndarray]:
    """The given input arrays by input node: one array for the first input, or a dict by name."""
    named = network.inputs
    given = x if isinstance(x, dict) else ({} if x is None else {next(iter(named)): x})
    unknown = sorted(set(given) - set(named))
    if unknown:
        raise SpecError(f"input '{unknown[0]}' is not an input of the spec (its inputs: {', '.join(named)})")
    if given and len(given) != len(named):
        missing = [n for n in named if n not in given]
        raise SpecError(
            f"no array for input '{missing[0]}' — give one array per input: {', '.join(named)} "
            "(--input: an .npz keyed by input name)"
        )
    arrays = {
        i: _input_array(network, i, given[name], np_dtype)
        for i, (name, _) in network.input_nodes.items()
        if name in given
    }
    batches = {a.shape[0] for a in arrays.values()}
    if len(batches) > 1:
        raise SpecError(f"input arrays have different batches ({sorted(batches)}) — give one batch")
    return arrays


def run(
    network: Network,
    x: np.ndarray | dict[str, np.ndarray] | None = None,
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
    values = _inputs(network, x, np_dtype)
    batch = next(iter(values.values())).shape[0] if values else batch
    if guard is not None:
        guard(batch, np.dtype(np_dtype).itemsize)
    if not values:
        values = random_inputs(network, batch, seed, dtype)
    graph = network
    given = dict(weights or {})
    ctx = Context(training=training, rng=stream(seed, TRAINING_STREAM))
    result = Result(output=values[INPUT])
    last_use = {i: node.index for node in graph.nodes for i in node.inputs}
    outputs = set(network.outputs)
    he_init = relu_fed(graph)
    overwrite = in_place(graph, training)
    for node in graph.nodes:
        op = OPS[type(node.layer)]
        inputs = [values[i] for i in node.inputs]
        shapes = op.tensors(node.layer, inputs)
        he = node.index in he_init
        owned = _owned(graph, node, shapes, result)  # `share:`: the owner's arrays, used again
        tensors = {
            name: owned[name]
            if name in owned
            else _weight(node.path, name, shape, given, weights is not None, he, node.layer, seed, np_dtype)
            for name, shape in shapes.items()
        }
        result.shared.update(f"{node.path}/{name}" for name in owned)
        ctx.overwrite = node.index in overwrite
        y = op.forward(node.layer, inputs, tensors, ctx)
        if not y.flags.c_contiguous:  # a permute: copied once here, so every reshape after is a view
            y = np.ascontiguousarray(y)
        macs = op.macs(node.layer, inputs, tensors, y) if op.macs else 0
        values[node.index] = y
        live = live_bytes(list(values.values()))  # measured before this layer's frees below
        result.traces.append(
            Trace(
                node.path,
                node.layer.kind,
                tuple(y.shape[1:]),
                {n: a.size for n, a in tensors.items() if n not in op.state and n not in owned},
                {n: a.size for n, a in tensors.items() if n in op.state},
                op.neurons(node.layer, inputs, tensors, y) if op.neurons else y[0].size if op.macs else 0,
                macs,
                live,
            )
        )
        result.weights[node.path] = tensors
        for i in set(node.inputs):
            if last_use.get(i) == node.index and i >= 0 and i not in outputs:
                del values[i]
        if node.index not in last_use and node.index not in outputs:
            del values[node.index]  # nothing reads it: free it now, as the liveness pass assumes
            del y  # (this name held it too)
        if progress:
            progress(node.index + 1, len(graph.nodes))
    if given:
        raise SpecError(f"weights file has tensors that match no layer: {', '.join(sorted(given))}")
    result.outputs = {graph.nodes[i].path: values[i] for i in network.outputs}
    result.output = next(iter(result.outputs.values()))
    return result


def _owned(graph: Network, node: Node, shapes: dict[str, Any], result: Result) -> dict[str, np.ndarray]:
    """The arrays a layer takes from the layer it shares: those of the same name, same shape."""
    if node.shares is None:
        return {}
    owner = graph.nodes[node.shares]
    arrays = result.weights[owner.path]
    chosen = node.layer.share_tensors  # only these, or every tensor of the same name
    taken = {name: arrays[name] for name in shapes if name in arrays and (chosen is None or name in chosen)}
    for name, array in taken.items():
        if tuple(array.shape) != tuple(shapes[name]):
            raise SpecError(
                f"{node.where}: layer '{node.path}' needs {name} {list(shapes[name])} but the layer it "
                f"shares, '{owner.path}', has {list(array.shape)}"
            )
    return taken


def random_inputs(
    network: Network, batch: int = 1, seed: int = 0, dtype: str = "float32"
) -> dict[int, np.ndarray]:
    """The inputs a run draws when none are given, by input node: standard normal values, or for
    an input of token ids (one an embedding reads) int64 ids uniform in [0, vocab) of the smallest
    vocabulary. Each input has its own stream: '<input>' for the one input (as in 0.1)."""
    arrays: dict[int, np.ndarray] = {}
    for i, (name, shape) in network.input_nodes.items():
        rng = stream(seed, input_stream(name))
        vocab = network.token_ids.get(i)
        if vocab is not None:
            arrays[i] = rng.integers(0, vocab, (batch, *shape), dtype=np.int64)
        else:
            arrays[i] = rng.standard_normal((batch, *shape), dtype=DTYPES[dtype])
    return arrays


def random_input(network: Network, batch: int = 1, seed: int = 0, dtype: str = "float32") -> np.ndarray:
    """The first (or only) input's array a run draws when none is given (see random_inputs)."""
    return random_inputs(network, batch, seed, dtype)[INPUT]


def _input_array(network: Network, index: int, x: np.ndarray, np_dtype: Float) -> np.ndarray:
    """A given input at the run's dtype, or as int64 ids in [0, vocab) for an input of token ids."""
    name, shape = network.input_nodes[index]
    vocab = network.token_ids.get(index)
    array = np.asarray(x)
    if tuple(array.shape[1:]) != shape:
        what = "'input'" if name == "input" else f"input '{name}'"
        raise SpecError(
            f"input array has shape {list(array.shape)} but the spec expects "
            f"[batch, {', '.join(map(str, shape))}] — reshape it or fix {what}"
        )
    if vocab is None:
        return array.astype(np_dtype, copy=False)
    ids = array.astype(np.int64)
    if array.size and (not np.array_equal(ids, array) or ids.min() < 0 or ids.max() >= vocab):
        raise SpecError(
            f"the input holds token ids (an embedding reads it): whole numbers from 0 to {vocab - 1} "
            f"(the vocabulary), but the array has values from {array.min()} to {array.max()}"
        )
    return ids


def checked_input(x: object) -> np.ndarray | dict[str, np.ndarray] | None:
    """An input array of real numbers (any array-like), or a dict of them by input name, or a
    UsageError saying what it is instead."""
    if x is None:
        return None
    if isinstance(x, dict):
        for name in x:
            if not isinstance(name, str):
                raise UsageError(f"x's keys are input names, not {name!r:.60}")
        return {name: _checked_array(value) for name, value in x.items()}
    return _checked_array(x)


def _checked_array(x: object) -> np.ndarray:
    try:
        array = np.asarray(x)
    except (TypeError, ValueError) as error:  # ragged nested lists
        raise UsageError(f"x must be an array of real numbers: {str(error).splitlines()[0]}") from None
    if array.dtype.kind == "c":
        raise UsageError("x holds complex numbers; netcalc runs real ones (take x.real if that is meant)")
    if array.dtype.kind not in NUMERIC:
        raise UsageError(f"x holds {array.dtype} values; netcalc needs an array of real numbers")
    if array.ndim < 2 or array.shape[0] < 1:
        raise UsageError(
            f"x must be [batch, *input] with a batch of 1 or more (got shape {list(array.shape)})"
        )
    return array


def checked_weights(weights: object) -> dict[str, np.ndarray] | None:
    """Weights keyed 'layer/tensor' (a mapping, or a Result of an earlier run) as real arrays."""
    if weights is None:
        return None
    if isinstance(weights, Result):
        return weights.flat_weights()
    if not isinstance(weights, dict):
        raise UsageError(
            f"weights must be a dict of arrays keyed 'layer/tensor', not {type(weights).__name__}"
        )
    checked = {}
    for key, value in weights.items():
        if not isinstance(key, str):
            raise UsageError(f"weights keys are 'layer/tensor' strings, not {key!r:.60}")
        try:
            array = np.asarray(value)
        except (TypeError, ValueError):  # ragged nested lists
            array = np.asarray(None)
        if array.dtype.kind not in NUMERIC:
            raise UsageError(f"weights '{key:.80}' must be an array of real numbers, not {array.dtype}")
        checked[key] = array
    return checked


def tensor_shapes(network: Network, inputs: list[tuple[tuple[int, ...], ...]]) -> dict[str, tuple[int, ...]]:
    """The shape of every tensor a run draws, keyed 'layer/tensor', from each layer's per-sample
    input shapes (arrays of one sample, all strides 0: nothing is allocated)."""
    shapes = {}
    drawn: dict[int, set[str]] = {}
    for node, shapes_in in zip(network.nodes, inputs, strict=True):
        fake = [np.lib.stride_tricks.as_strided(np.zeros(1), (1, *s), (0,) * (len(s) + 1)) for s in shapes_in]
        owned = drawn.get(node.shares, set()) if node.shares is not None else set()
        owned = owned & set(node.layer.share_tensors or owned)  # a new set: drawn's stays whole
        drawn[node.index] = set()
        for name, shape in OPS[type(node.layer)].tensors(node.layer, fake).items():
            drawn[node.index].add(name)
            if name not in owned:  # a shared tensor is saved once, at its owner
                shapes[f"{node.path}/{name}"] = tuple(shape)
    return shapes


def _weight(
    layer: str,
    name: str,
    shape: tuple[int, ...],
    given: dict[str, np.ndarray],
    strict: bool,
    he: bool,
    spec_layer: Layer,
    seed: int,
    dtype: Float,
) -> Array:
    key = f"{layer}/{name}"
    if key not in given:
        # strict: weights were given, so every tensor must be there (also after the others
        # have been consumed: the last layer's tensors are checked too)
        if strict:
            raise SpecError(f"weights file has no tensor '{key}' (shape {list(shape)})")
        return init_tensor(name, tuple(shape), he, spec_layer, stream(seed, key), dtype)
    array = _as_float(given.pop(key), dtype)
    if tuple(array.shape) != tuple(shape):
        raise SpecError(
            f"weights '{key}' has shape {list(array.shape)} but layer {layer} needs {list(shape)}"
        )
    return array


def _as_float(values: np.ndarray, dtype: type[FloatT]) -> npt.NDArray[FloatT]:
    """The values at the run's element type (no copy when they have it)."""
    return np.asarray(values, dtype=dtype)


READ_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile)
MAX_MEMBERS = 100_000  # tensors in one weights file
NUMERIC = "biuf"


NOT_NUMPY = "not a NumPy file (or it holds Python objects, which netcalc never loads)"


def _why(error: Exception) -> str:
    if "pickled" in str(error):  # numpy's guess for any file that is not .npy/.npz
        return NOT_NUMPY
    return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"


def _numeric(array: np.ndarray, what: str) -> np.ndarray:
    if array.dtype.kind not in NUMERIC:
        raise SpecError(f"{what} holds {array.dtype} values; netcalc needs real numbers")
    return array


def _header(stream: IO[bytes], what: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """The shape, order and dtype of a .npy stream, read from its header alone (nothing else)."""
    from numpy.lib import format as npy

    version = npy.read_magic(stream)
    if version == (1, 0):
        shape, fortran, dtype = npy.read_array_header_1_0(stream, max_header_size=10_000)
    elif version in ((2, 0), (3, 0)):
        shape, fortran, dtype = npy.read_array_header_2_0(stream, max_header_size=10_000)
    else:
        raise ValueError(f"unknown .npy version {version}")
    if dtype.hasobject or dtype.kind not in NUMERIC or dtype.itemsize > 16:
        raise SpecError(f"{what} holds {dtype} values; netcalc needs real numbers")
    return tuple(shape), fortran, dtype


def _data(stream: IO[bytes], shape: tuple[int, ...], fortran: bool, dtype: np.dtype, what: str) -> np.ndarray:
    """The array after a header: exactly its declared bytes (a short file is an error, not a hang)."""
    size = prod(shape) * dtype.itemsize
    data = stream.read(size)
    if len(data) != size:
        raise SpecError(f"{what}: the file is cut short ({len(data):,} of {size:,} bytes)")
    array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    return array.copy()  # writable and owning its memory


def load_weights(path: str, expected: dict[str, tuple[int, ...]] | None = None) -> dict[str, np.ndarray]:
    """Weights from an .npz file keyed 'layer/tensor' (no pickled objects, ever).

    `expected` (tensor key -> shape): every member's name, dtype and shape are checked against
    it from the archive's directory and each .npy header before anything is decompressed.
    """
    try:
        with open(path, "rb") as raw:
            magic = raw.read(4)
            if magic == b"\x93NUM":
                raise SpecError(
                    f"{path}: is one array (.npy); weights are an .npz of arrays keyed "
                    "'layer/tensor', as run --save-weights writes them"
                )
            if magic != b"PK\x03\x04":
                raise SpecError(f"{path}: cannot read weights (an .npz of numeric arrays): {NOT_NUMPY}")
            raw.seek(0)
            with zipfile.ZipFile(raw) as archive:
                return _members(path, archive, expected)
    except READ_ERRORS as error:
        raise SpecError(f"{path}: cannot read weights (an .npz of numeric arrays): {_why(error)}") from None


def _members(
    path: str, archive: zipfile.ZipFile, expected: dict[str, tuple[int, ...]] | None
) -> dict[str, np.ndarray]:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise SpecError(f"{path}: holds {len(infos):,} files; a weights file has one per tensor")
    keys = {}
    for info in infos:
        if not info.filename.endswith(".npy"):
            raise SpecError(
                f"{path}: holds '{info.filename[:80]}', not an .npy array; save weights with np.savez"
            )
        keys[info.filename[:-4]] = info
    if expected is not None:
        unknown = sorted(set(keys) - set(expected))
        if unknown:
            raise SpecError(
                f"weights file has tensors that match no layer: {', '.join(unknown[:5])}"
                + (f" and {len(unknown) - 5:,} more" if len(unknown) > 5 else "")
            )
        missing = sorted(set(expected) - set(keys))
        if missing:
            raise SpecError(f"weights file has no tensor '{missing[0]}' (shape {list(expected[missing[0]])})")
    arrays = {}
    for key, info in keys.items():
        what = f"{path}: '{key}'"
        with archive.open(info) as stream:
            shape, fortran, dtype = _header(stream, what)
            size = prod(shape) * dtype.itemsize
            if expected is not None and shape != expected[key]:
                layer = key.rsplit("/", 1)[0]
                raise SpecError(
                    f"weights '{key}' has shape {list(shape)} but layer {layer} needs {list(expected[key])}"
                )
            if size > info.file_size:
                raise SpecError(
                    f"{what}: its header claims {size:,} bytes, more than the {info.file_size:,} stored"
                )
            arrays[key] = _data(stream, shape, fortran, dtype, what)
    return arrays


def load_array(path: str, sample: tuple[int, ...] | None = None, limit: int | None = None) -> np.ndarray:
    """One input array from a .npy file (no pickled objects, ever), its header checked first:
    numeric, shaped [batch, *sample] with a batch of 1 or more, at most `limit` bytes."""
    try:
        with open(path, "rb") as stream:
            magic = stream.read(6)
            if magic[:4] == b"PK\x03\x04":
                raise SpecError(
                    f"{path}: is an .npz archive; one input takes one .npy array (an .npz holds one "
                    "array per input of a spec with several)"
                )
            if magic != b"\x93NUMPY":
                raise SpecError(f"{path}: cannot read the input array (a .npy file): {NOT_NUMPY}")
            stream.seek(0)
            shape, fortran, dtype = _header(stream, path)
            _check_input_shape(path, shape, sample)
            size = prod(shape) * dtype.itemsize
            if limit is not None and size > limit:
                raise ResourceError(
                    f"{path}: holds {size:,} bytes, over the memory limit of {limit:,} — raise --max-memory"
                )
            return _data(stream, shape, fortran, dtype, path)
    except READ_ERRORS as error:
        raise SpecError(f"{path}: cannot read the input array (a .npy file): {_why(error)}") from None


def load_inputs(
    path: str, samples: dict[str, tuple[int, ...]], limit: int | None = None
) -> np.ndarray | dict[str, np.ndarray]:
    """The input arrays of `--input FILE`: one .npy array (the first input), or an .npz holding one
    array per input, keyed by the spec's input names (`np.savez('x.npz', tokens=..., image=...)`)."""
    try:
        with open(path, "rb") as raw:
            packed = raw.read(4) == b"PK\x03\x04"
            if packed:
                raw.seek(0)
                with zipfile.ZipFile(raw) as archive:
                    arrays = _named_inputs(path, archive, samples, limit)
    except READ_ERRORS as error:
        raise SpecError(f"{path}: cannot read the input arrays (an .npz): {_why(error)}") from None
    if not packed:
        return load_array(path, next(iter(samples.values())), limit)
    return arrays


def _named_inputs(
    path: str, archive: zipfile.ZipFile, samples: dict[str, tuple[int, ...]], limit: int | None
) -> dict[str, np.ndarray]:
    names = sorted(info.filename.removesuffix(".npy") for info in archive.infolist())
    if names != sorted(samples):
        raise SpecError(
            f"{path}: holds arrays {', '.join(names[:5]) or 'none'}; the spec's inputs are "
            f"{', '.join(samples)} — one array per input, keyed by its name"
        )
    size = sum(info.file_size for info in archive.infolist())
    if limit is not None and size > limit:
        raise ResourceError(
            f"{path}: holds {size:,} bytes, over the memory limit of {limit:,} — raise --max-memory"
        )
    arrays = _members(path, archive, None)
    for name, array in arrays.items():
        _check_input_shape(f"{path}: '{name}'", array.shape, samples[name])
    return arrays


def _check_input_shape(path: str, shape: tuple[int, ...], sample: tuple[int, ...] | None) -> None:
    if not shape or shape[0] < 1:
        raise SpecError(
            f"{path}: the array holds no samples (shape {list(shape)}); give a batch of 1 or more"
        )
    if sample is not None and tuple(shape[1:]) != tuple(sample):
        raise SpecError(
            f"{path}: input array has shape {list(shape)} but the spec expects "
            f"[batch, {', '.join(map(str, sample))}] — reshape it or fix 'input'"
        )


def save(path: str, arrays: np.ndarray | dict[str, np.ndarray]) -> None:
    """Write one array (.npy) or named arrays (.npz) to exactly `path`: to a temporary file beside
    it, renamed into place, so a failed write leaves no half file and no other name is made."""
    target = Path(path)
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as error:
        raise NetcalcError(f"{path}: cannot write: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            if isinstance(arrays, dict):
                np.savez(stream, allow_pickle=False, **arrays)  # numbers only: nothing to pickle
            else:
                np.save(stream, arrays)
        os.replace(temporary, target)
    except OSError as error:
        raise NetcalcError(f"{path}: cannot write: {error.strerror or error}") from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def save_weights(path: str, result: Result) -> None:
    """Save the weights of a run to .npz, keyed 'layer/tensor'."""
    save(path, result.flat_weights())
