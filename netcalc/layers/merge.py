"""Layers that merge two or more inputs: add, multiply, concat, matmul."""

from math import prod

from netcalc.errors import ShapeError
from netcalc.layers.base import Layer, Saved, Shape, arg, keep_input
from netcalc.layers.fields import BROADCAST, IDENTITY, Reads, Window, same
from netcalc.layers.formula import Explained, biggest, elements, num, plus, same_shape, times


def _broadcast(shape: Shape, output: Shape) -> Reads:
    """An input broadcast to the output (NumPy rules): a size-1 axis is read at position 0."""
    lead = len(output) - len(shape)
    axes: list[tuple[int, Window] | None] = [None] * lead
    for a, n in enumerate(shape):
        axes.append((a, BROADCAST if n == 1 and output[lead + a] != 1 else IDENTITY))
    return Reads(tuple(axes))


def broadcast(a: Shape, b: Shape) -> Shape:
    """NumPy's broadcast of two shapes that broadcast (aligned on the right)."""
    rank = max(len(a), len(b))
    a, b = (1,) * (rank - len(a)) + a, (1,) * (rank - len(b)) + b
    return tuple(max(m, n) for m, n in zip(a, b, strict=True))


class Add(Layer):
    """Element-wise sum of two or more tensors of the same shape (a skip connection).

    saved: nothing (the gradient passes through unchanged).
    """

    kind = "add"
    arity = None

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        return ()

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

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        return same_shape(output, "as its inputs")


class Multiply(Layer):
    """Element-wise product with NumPy broadcasting, e.g. (C, H, W) * (C, 1, 1) for a gate.

    saved: multiplied left to right, each factor is kept when the other side needs a gradient
    (x0 * x1 keeps x1 for x0's gradient and x0 for x1's); a partial product of three or more
    inputs is a tensor of its own.
    """

    kind = "multiply"
    arity = None

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        kept: list[Saved] = []
        shape, grad = inputs[0], grads[0]
        for i in range(1, len(inputs)):
            if grad:
                kept.append(keep_input(inputs, i))
            if grads[i]:
                kept.append(keep_input(inputs, 0) if i == 1 else Saved(f"product {i}", prod(shape)))
            shape, grad = broadcast(shape, inputs[i]), grad or grads[i]
        return tuple(kept)

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

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        rank = len(output)  # each axis: the largest size, broadcast from 1
        padded = [(1,) * (rank - len(s)) + s for s in inputs]
        return Explained(tuple(biggest(*sizes) for sizes in zip(*padded, strict=True)))


class Concat(Layer):
    """Concatenation along `axis` (default 0, the channel axis); other axes must match.

    saved: nothing (the gradient is sliced back).
    """

    kind = "concat"
    arity = None
    axis: int = arg(0, "axis", "dim", doc="sample axis to join along; -1 is the last")

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        first = inputs[0]
        rank = len(first)
        if not -rank <= self.axis < rank:
            raise ShapeError(
                f"concat axis {self.axis} does not exist in input {list(first)} — set axis from "
                f"{-rank} to {rank - 1}"
            )
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

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        axis = self.axis % len(output)
        sizes = [num(n) for n in output]
        sizes[axis] = plus(*(s[axis] for s in inputs))
        return Explained(tuple(sizes), note=f"the inputs joined along axis {axis}")

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        return ()


class Matmul(Layer):
    """Matrix product of two activations per sample: (..., n, k) @ (..., k, m) -> (..., n, m).

    Attention's q . k^T and weights . v; the leading axes broadcast (equal or 1).

    No parameters; MACs = output elements * k; neurons = output elements (weighted sums, the
    weights being activations).
    saved: each input when the other needs a gradient; an input whose leading axes broadcast is
    kept as its expanded copy (PyTorch expands it to the output's leading axes first).
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

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        a, b = inputs
        lead = tuple(biggest(n, m) if n != m else num(n) for n, m in zip(a[:-2], b[:-2], strict=True))
        return Explained((*lead, num(a[-2]), num(b[-1])), macs=times(elements(output), a[-1]))

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        kept = []
        for i, other_grad in ((1, grads[0]), (0, grads[1])):
            if not other_grad:
                continue
            shape = inputs[i]
            if shape[:-2] == output[:-2]:
                kept.append(keep_input(inputs, i))
            else:
                kept.append(Saved(f"expanded input{i}", prod(output[:-2]) * shape[-2] * shape[-1]))
        return tuple(kept)
