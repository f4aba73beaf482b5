"""Layers that merge two or more inputs: add, multiply, concat."""

from netcalc.errors import ShapeError
from netcalc.layers.base import Layer, Shape, arg


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
