"""Layers that merge two or more inputs: add, multiply, concat, matmul."""

from math import prod

from netcalc.errors import ShapeError
from netcalc.layers.base import Layer, Shape, arg
from netcalc.layers.fields import BROADCAST, IDENTITY, Reads, Window, same


def _broadcast(shape: Shape, output: Shape) -> Reads:
    """An input broadcast to the output (NumPy rules): a size-1 axis is read at position 0."""
    lead = len(output) - len(shape)
    axes: list[tuple[int, Window] | None] = [None] * lead
    for a, n in enumerate(shape):
        axes.append((a, BROADCAST if n == 1 and output[lead + a] != 1 else IDENTITY))
    return Reads(tuple(axes))


class Add(Layer):
    """Element-wise sum of two or more tensors of the same shape (a skip connection)."""

    kind = "add"
    arity = None

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        for i, shape in enumerate(inputs[1:], start=1):
            if shape != inputs[0]:
                raise ShapeError(
                    f"add needs equal shapes but input 0 is {list(inputs[0])} and input {i} is "
                    f"{list(shape)} — add a 1x1 conv or pooling on the shortcut to match"
                )
        return inputs[0]

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        return tuple(same(len(output)) for _ in inputs)


class Multiply(Layer):
    """Element-wise product with NumPy broadcasting, e.g. (C, H, W) * (C, 1, 1) for a gate."""

    kind = "multiply"
    arity = None

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        rank = max(len(s) for s in inputs)
        padded = [(1,) * (rank - len(s)) + s for s in inputs]
        out = []
        for axis, sizes in enumerate(zip(*padded, strict=True)):
            big = {n for n in sizes if n != 1}
            if len(big) > 1:
                raise ShapeError(
                    f"multiply cannot broadcast axis {axis}: sizes {list(sizes)} — sizes must be equal or 1"
                )
            out.append(big.pop() if big else 1)
        return tuple(out)

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        return tuple(_broadcast(shape, output) for shape in inputs)


class Concat(Layer):
    """Concatenation along `axis` (default 0, the channel axis); other axes must match."""

    kind = "concat"
    arity = None
    axis: int = arg(0, "axis", "dim", doc="sample axis to join along; -1 is the last")

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        first = inputs[0]
        rank = len(first)
        if not -rank <= self.axis < rank:
            raise ShapeError(f"concat axis {self.axis} does not exist in input {list(first)}")
        axis = self.axis % rank
        for i, shape in enumerate(inputs[1:], start=1):
            others_match = len(shape) == rank and all(
                a == b for j, (a, b) in enumerate(zip(first, shape, strict=True)) if j != axis
            )
            if not others_match:
                raise ShapeError(
                    f"concat along axis {axis} needs the other axes equal but input 0 is "
                    f"{list(first)} and input {i} is {list(shape)} — crop, pad or resize one side"
                )
        return (*first[:axis], sum(s[axis] for s in inputs), *first[axis + 1 :])

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        # along the joined axis the inputs follow one another: no single window, positions spread
        axis = self.axis % len(output)
        axes = tuple(None if a == axis else (a, IDENTITY) for a in range(len(output)))
        return tuple(Reads(axes, merged={axis: (axis,)}) for _ in inputs)


class Matmul(Layer):
    """Matrix product of two activations per sample: (..., n, k) @ (..., k, m) -> (..., n, m).

    Attention's q . k^T and weights . v; the leading axes broadcast (equal or 1).

    No parameters; MACs = output elements * k; neurons = output elements (weighted sums, the
    weights being activations).
    """

    kind = "matmul"
    arity = 2
    weighted = True

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        a, b = inputs
        if len(a) < 2 or len(a) != len(b):
            raise ShapeError(
                f"matmul needs two inputs with the same number of axes, at least 2, but got "
                f"{list(a)} and {list(b)} — reshape one of them"
            )
        if a[-1] != b[-2]:
            raise ShapeError(
                f"matmul of {list(a)} and {list(b)}: the first's last axis ({a[-1]}) must equal "
                f"the second's next-to-last ({b[-2]}) — permute one of them"
            )
        lead = []
        for axis, (n, m) in enumerate(zip(a[:-2], b[:-2], strict=True)):
            if n != m and 1 not in (n, m):
                raise ShapeError(
                    f"matmul cannot broadcast axis {axis}: sizes {n} and {m} — make them equal or 1"
                )
            lead.append(max(n, m))
        return (*lead, a[-2], b[-1])

    def macs(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        return prod(output) * inputs[0][-1]

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        # a's rows and b's columns one to one, the shared axis k read in full, leading axes broadcast
        a, b = (_broadcast(shape[:-2], output[:-2]).axes for shape in inputs)
        last = len(output) - 1
        return (
            Reads((*a, (last - 1, IDENTITY), None), frozenset({last})),
            Reads((*b, None, (last, IDENTITY)), frozenset({last - 1})),
        )
