"""Sequence layers: the token embedding (recurrent layers follow)."""

from netcalc.errors import ShapeError
from netcalc.layers.base import Layer, PositiveInt, Saved, Shape, arg
from netcalc.layers.fields import IDENTITY, Reads
from netcalc.layers.formula import Explained, num, times

ID_BYTES = 8  # token ids are int64, as PyTorch's embedding takes them


class Embedding(Layer):
    """Token embedding (PyTorch Embedding, Keras Embedding): (L,) integer ids -> (L, dim).

    Each id picks its row of a learned table. params: weight = vocab * dim. No MACs and no
    neurons: a lookup is not a weighted sum. The input it reads holds int64 token ids, written
    with its length only (`input: [128]`). saved: the ids (int64), to scatter the table's gradient.
    """

    kind = "embedding"
    vocab: PositiveInt = arg(..., "vocab", "num_embeddings", "input_dim", doc="number of token ids")
    dim: PositiveInt = arg(..., "dim", "embedding_dim", "output_dim", doc="width of each row")

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        shape = inputs[0]
        if len(shape) != 1:
            raise ShapeError(
                f"embedding reads token ids (L,) but got {len(shape)} axes {list(shape)}: axis 1 "
                f"({shape[1] if len(shape) > 1 else 0}) is one too many — write the ids' input with "
                "its length only (input: [L]); an (L, D) input is already embedded (use dense)"
            )
        return (shape[0], self.dim)

    def params(self, inputs: tuple[Shape, ...]) -> dict[str, int]:
        return {"weight": self.vocab * self.dim}

    def tensor_shapes(self, inputs: tuple[Shape, ...]) -> dict[str, Shape]:
        """weight (vocab, dim): a dense layer of `units: vocab` on width dim can tie to it."""
        return {"weight": (self.vocab, self.dim)}

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        return (Saved("input0", inputs[0][0], itemsize=ID_BYTES),)

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        return (Reads(((0, IDENTITY), None)),)  # position i reads id i; its row is made anew

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        tensors = {"weight": times(self.vocab, self.dim)}
        return Explained((num(output[0]), num(self.dim)), tensors, note="one row of dim per id")
