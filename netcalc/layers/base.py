"""The base of every layer: a frozen pydantic record with pure shape and count rules."""

# no `from __future__ import annotations` here: pydantic evaluates a string annotation of a base
# class that is not a field (the ClassVars below) again for every subclass, a fifth of the time
# each layer class takes to create (the same holds in the family modules)
from dataclasses import dataclass
from math import prod
from typing import Annotated, Any, ClassVar

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from netcalc.errors import NetcalcError, ShapeError
from netcalc.layers.fields import Reads, everything
from netcalc.layers.formula import Explained

Shape = tuple[int, ...]
PositiveInt = Annotated[int, Strict(), Field(gt=0)]
NonNegativeInt = Annotated[int, Strict(), Field(ge=0)]
Sizes = PositiveInt | tuple[PositiveInt, ...]
Ref = str | Annotated[int, Strict(), Field(lt=0)]


@dataclass(frozen=True, slots=True)
class Saved:
    """One tensor a layer keeps for the backward pass, as PyTorch autograd saves it in training.

    `tensor`: "input0", "input1", ... or "output" name tensors of the graph (kept once however
    many layers keep them); any other name is the layer's own (a mask, indices, statistics).
    `elements`: per sample when `batched`, else in all. `itemsize`: bytes per element, None for
    the activations' width (the training precision). `buffer`: a running statistic, held by the
    weights already (autograd keeps a reference to it; PyTorch's figure counts it).
    """

    tensor: str
    elements: int
    batched: bool = True
    itemsize: int | None = None
    buffer: bool = False


def keep_input(inputs: tuple[Shape, ...], i: int = 0) -> Saved:
    """The layer keeps its input i (the same tensor its producer gave)."""
    return Saved(f"input{i}", prod(inputs[i]))


def keep_output(output: Shape) -> Saved:
    """The layer keeps its output."""
    return Saved("output", prod(output))


def arg(default: Any = ..., *names: str, doc: str | None = None) -> Any:
    """A layer argument: its canonical name first, then PyTorch's and Keras's names as aliases."""
    choices = AliasChoices(*names) if len(names) > 1 else None
    return Field(default, validation_alias=choices, description=doc)


def axis_names(rank: int) -> tuple[str, ...]:
    """Names of the spatial axes for messages: L; H, W; D, H, W."""
    return {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}.get(rank, tuple(f"axis{i}" for i in range(rank)))


def per_axis(value: int | tuple[int, ...], rank: int, what: str) -> tuple[int, ...]:
    """Expand an int to one value per spatial axis, or check a list has one per axis."""
    if isinstance(value, int):
        return (value,) * rank
    if len(value) != rank:
        raise ValueError(
            f"{what} has {len(value)} values but there are {rank} spatial axes — give {rank} values "
            "or one for all"
        )
    return tuple(value)


class Layer(BaseModel):
    """A layer: hyper-parameters, and rules for its output shape and counts."""

    # defer_build: a layer type's validator is built when first used, so a spec pays only for its own types;
    # allow_inf_nan: an eps, slope or rate of NaN or inf counts fine but exports a network of NaNs
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
        defer_build=True,
        allow_inf_nan=False,
    )
    kind: ClassVar[str]
    # inputs it takes: 1 or 2 exactly, None: two or more (merge layers), (min, max): a range
    arity: ClassVar[int | tuple[int, int] | None] = 1
    weighted: ClassVar[bool] = False  # its outputs are weighted sums, i.e. neurons
    view: ClassVar[bool] = False  # in PyTorch its output is a view of its input: the same bytes

    name: str | None = Field(None, description="unique name, used by `from` and in reports")
    source: Ref | list[Ref] | None = Field(
        None, alias="from", description="input: a name, -1 (previous), `input`, or a list"
    )
    training_only: Annotated[bool, Strict()] = Field(
        False,
        description="run only in training (an auxiliary classifier): its parameters count, "
        "its MACs, neurons and activations stay out of the inference totals",
    )
    share: str | None = Field(
        None,
        description="use the parameters of an earlier layer NAME (tied weights): counted once there; "
        "this layer's MACs and activations still count per call",
    )
    share_tensors: tuple[str, ...] | None = Field(
        None,
        description="with share: only these tensors are the other layer's (share: a, share_tensors: "
        "[weight]: a's weight, a bias of its own); default: every tensor of the same name",
    )
    trainable: Annotated[bool, Strict()] = Field(
        True,
        description="false: its parameters are frozen (counted as non-trainable, as Keras does; "
        "PyTorch's requires_grad=False)",
    )

    @field_validator("share_tensors")
    @classmethod
    def _share_tensors_need_share(cls, names: tuple[str, ...] | None, info: ValidationInfo) -> Any:
        if names is None:
            return names
        if info.data.get("share") is None:
            raise ValueError("needs share: NAME, the layer whose tensors these are — add share:")
        if not names or len(set(names)) != len(names):
            raise ValueError(
                f"takes one or more distinct tensor names (got {list(names)}) — list each once, like [weight]"
            )
        return names

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        # __init__ below is for direct calls only: validation from a spec keeps pydantic's own path
        # (and its ValidationError, which validate_layer words with the spec's file and line); the
        # deferred build reads this flag when the class is first used
        cls.__pydantic_custom_init__ = False

    def __init__(self, /, **data: Any) -> None:
        """Conv2d(filters=8, kernel=3); raises SpecError (one line per problem), like a spec."""
        try:
            super().__init__(**data)
        except ValidationError as error:
            from netcalc.spec.messages import layer_error

            kind = getattr(type(self), "kind", "layer")
            raise layer_error(type(self), error, f"<{type(self).__name__}>", kind) from None

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        """The output shape for these input shapes; raises ShapeError when impossible."""
        return inputs[0]

    def params(self, inputs: tuple[Shape, ...]) -> dict[str, int]:
        """Trainable tensors by name, with their element counts."""
        return {}

    def tensor_shapes(self, inputs: tuple[Shape, ...]) -> dict[str, Shape] | None:
        """The parameters' shapes as PyTorch holds them, for `share:`; None: it cannot share."""
        return None

    def state(self, inputs: tuple[Shape, ...]) -> dict[str, int]:
        """Non-trainable state (running statistics) by name, with element counts."""
        return {}

    def macs(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        """Multiply-accumulates of the weighted sums, per sample, bias adds excluded."""
        return 0

    def neurons(self, output: Shape, inputs: tuple[Shape, ...] = ()) -> int:
        """Output elements that are weighted sums (the article's neurons), per sample."""
        return prod(output) if self.weighted else 0

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        """Which positions of each input an output position reads (its receptive field rule).

        A layer that says nothing reads every input in full: a field it cannot narrow is global.
        """
        return tuple(everything(len(shape), len(output)) for shape in inputs)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        """The output shape, tensors and MACs as formulas with this layer's numbers (`netcalc
        explain`); every layer type states its own (a guard test checks they give its figures)."""
        return None

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        """The tensors PyTorch autograd keeps for this layer's backward pass in training.

        `grads`: which inputs require a gradient. Called only when the output needs one (an input
        does, or the layer has parameters). Every layer class states its own rule.
        """
        raise NetcalcError(f"layer type '{self.kind}' has no rule yet for the tensors training keeps")


def input_range(cls: type[Layer]) -> tuple[int, int | None]:
    """(fewest, most) inputs a layer type takes; most is None for a merge of any number."""
    if cls.arity is None:
        return (2, None)
    if isinstance(cls.arity, int):
        return (cls.arity, cls.arity)
    return cls.arity


Layer.__pydantic_custom_init__ = False  # the base too: spec entries are validated against it
Layer.model_rebuild(force=True)


def need_rank(shape: Shape, rank: int, kind: str, layout: str) -> None:
    """Raise ShapeError unless the input has exactly `rank` axes."""
    if len(shape) != rank:
        variant = f"the {len(shape) - 1}d form of {kind.rstrip('123d')}" if 2 <= len(shape) <= 4 else ""
        hint = f"give it a {layout} input (a channel axis of 1 first if it has none)"
        raise ShapeError(
            f"{kind} expects a {rank}-axis input {layout} but got {len(shape)} axes {list(shape)} — "
            + (f"{hint}, or use {variant}" if variant else hint)
        )
