"""The pydantic models of a spec's top level and its blocks."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    Strict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from netcalc.arguments import parse_bytes, parse_count
from netcalc.errors import UsageError
from netcalc.layers import Layer
from netcalc.layers.base import PositiveInt
from netcalc.spec.arith import references
from netcalc.spec.yamlio import line_of, lines_of

DTYPE_BYTES = {"float64": 8, "float32": 4, "float16": 2, "bfloat16": 2, "int8": 1, "uint8": 1}
Entry = str | dict[str, Any] | Layer
ARG_NAME = re.compile(r"[A-Za-z_]\w*")
INPUT_NAME = ARG_NAME  # a name `from` takes: a word


class Block(BaseModel):
    """A reusable block: its arguments (with defaults, or a list of required names) and layers."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    description: str | None = None
    args: dict[str, Any] | list[str] = Field(
        default_factory=dict, description="argument defaults; a null default or a list = required"
    )
    layers: list[Entry] = Field(min_length=1, description="the block's layers, like the spec's")

    def defaults(self) -> dict[str, Any]:
        """Argument defaults; None marks a required argument."""
        if isinstance(self.args, list):
            return dict.fromkeys(self.args)
        return dict(self.args)


LimitValue = Annotated[int, Strict(), Field(gt=0)] | str


class Budget(BaseModel):
    """Limits `netcalc check` holds the network to (for CI); each optional, each also a check option.

    Counts take k, M, G, T (powers of 1000): 5M; memory takes K, M, G, T with or without B or iB
    (powers of 1024, as run's --max-memory): 2GiB.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    max_params: LimitValue | None = Field(None, description="most parameters (frozen ones included): 5M")
    max_macs: LimitValue | None = Field(None, description="most MACs at the checked batch: 1G")
    max_memory: LimitValue | None = Field(
        None, description="most inference peak memory (weights + live activations): 2GiB"
    )
    max_train_memory: LimitValue | None = Field(
        None, description="most training memory (weights, gradients, optimizer, saved activations): 16GiB"
    )
    min_rf: Annotated[int, Strict(), Field(gt=0)] | None = Field(
        None, description="least receptive field, in input positions, of the last layer with a local field"
    )

    @field_validator("max_params", "max_macs", "max_memory", "max_train_memory")
    @classmethod
    def _parse(cls, value: int | str | None, info: ValidationInfo) -> int | None:
        if not isinstance(value, str):
            return value
        parse = parse_bytes if "memory" in (info.field_name or "") else parse_count
        try:
            return parse(value, "it")
        except UsageError as error:  # worded by the spec's message: "budget.max_params: takes ..."
            raise ValueError(str(error).removeprefix("it ")) from None

    def limits(self) -> dict[str, int]:
        """The limits given, by name."""
        return {name: value for name, value in self.model_dump().items() if value is not None}


MAX_SPEC_NAME = 256


class Spec(BaseModel):
    """A network: its input shape (or named inputs), reusable blocks, layers and outputs."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field("network", description="the network's name")
    description: str | None = Field(None, description="one line on what it is")
    input: tuple[PositiveInt, ...] | None = Field(
        None,
        min_length=1,
        description="sample shape, channels first, batch implicit: [3, 224, 224] (the one input, "
        "named 'input'); an input of token ids (one an embedding reads) is written with its "
        "length only: [128]",
    )
    inputs: dict[str, tuple[PositiveInt, ...]] | None = Field(
        None,
        min_length=1,
        description="several named inputs instead of input: {tokens: [128], image: [3, 224, 224]}; "
        "from: takes their names",
    )
    outputs: list[str] | None = Field(
        None,
        min_length=1,
        description="the network's outputs by layer name; without it the last layer is the output",
    )
    args: dict[str, Any] = Field(
        default_factory=dict,
        description="spec arguments with defaults, used as $name anywhere (input, layers, blocks); "
        "--set NAME=VALUE overrides them",
    )
    dtype: Literal["float64", "float32", "float16", "bfloat16", "int8", "uint8"] = Field(
        "float32", description="element type, for memory figures"
    )
    blocks: dict[str, Block] = Field(default_factory=dict, description="reusable blocks")
    layers: list[Entry] = Field(min_length=1, description="the network, in order")
    budget: Budget | None = Field(None, description="limits for `netcalc check` (CI)")
    _source: str = PrivateAttr("<spec>")
    _raw: Any = PrivateAttr(None)
    _input: Any = PrivateAttr(None)  # the input as written, `[1, $size, $size]`, before arguments

    @field_validator("name")
    @classmethod
    def _short_name(cls, name: str) -> str:
        if len(name) > MAX_SPEC_NAME:  # sweep, compare and diff repeat it on every row
            raise ValueError(
                f"'{name[:24]}...' has {len(name):,} characters, more than {MAX_SPEC_NAME} — shorten it "
                "(a longer text goes in description:)"
            )
        return name

    @field_validator("args")
    @classmethod
    def _plain_arguments(cls, args: dict[str, Any]) -> dict[str, Any]:
        for name, value in args.items():
            if not isinstance(name, str) or not ARG_NAME.fullmatch(name) or name == "input":
                raise ValueError(
                    f"argument name {name!r} must be a word like 'size' or 'width' (not 'input', "
                    "which names the input shape)"
                )
            if type(value) not in (int, float, str, bool):
                raise ValueError(f"argument '{name}' must be a number or a word (got {value!r})")
            uses = references(value) if type(value) is str else []
            if uses:
                raise ValueError(
                    f"argument '{name}' is '{value}', which uses ${uses[0]} — a spec argument's "
                    f"default is a number or a word: write its value, or write the expression "
                    f"where ${name} is used"
                )
        return args

    @field_validator("inputs")
    @classmethod
    def _input_names(
        cls, inputs: dict[str, tuple[int, ...]] | None, info: ValidationInfo
    ) -> dict[str, tuple[int, ...]] | None:
        if inputs is not None and info.data.get("input") is not None:
            raise ValueError(
                "give input: (the one input) or inputs: (named inputs), not both — "
                "list the input under inputs: as 'input: [...]' or drop inputs:"
            )
        for name, shape in (inputs or {}).items():
            if not INPUT_NAME.fullmatch(name):
                raise ValueError(f"input name {name!r} must be a word like 'tokens' or 'image'")
            if not shape:
                raise ValueError(f"input '{name}' needs at least one size, like [128]")
        return inputs

    @model_validator(mode="after")
    def _one_input_form(self) -> Spec:
        if self.input is None and self.inputs is None:
            raise ValueError(
                "missing 'input' — give the input shape, like input: [3, 224, 224], "
                "or named inputs, like inputs: {tokens: [128]}"
            )
        return self

    @property
    def input_shapes(self) -> dict[str, tuple[int, ...]]:
        """Every input's sample shape by name, in order: {'input': shape} for a spec with input:."""
        if self.inputs is not None:
            return dict(self.inputs)
        return {"input": tuple(self.input or ())}

    @property
    def input_template(self) -> Any:
        """The input as written, with its $arguments (the input itself when it has none); a
        mapping of them for a spec with inputs:."""
        if self._input is not None:
            return self._input
        if self.inputs is not None:
            return {k: list(v) for k, v in self.inputs.items()}
        return list(self.input or ())

    def __init__(self, /, **data: Any) -> None:
        """Spec(input=[3, 32, 32], layers=[...]); raises SpecError (one line per problem)."""
        try:
            super().__init__(**data)
        except ValidationError as error:
            from netcalc.errors import SpecError
            from netcalc.spec.messages import top_level_message

            raise SpecError(top_level_message(error, data, "<Spec>")) from None

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        cls.__pydantic_custom_init__ = False  # subclasses: see the note after the class
        cls.model_rebuild(force=True)

    @property
    def source(self) -> str:
        """Where the spec came from, for messages."""
        return self._source

    def where(self, loc: tuple[str | int, ...]) -> str:
        """'file:line' for a location in the raw spec, or just the file."""
        return _where(self._source, line_of(self._raw, loc))

    def wheres(self, loc: tuple[str | int, ...], count: int) -> list[str]:
        """where() of items 0 .. count - 1 of the list at `loc` (a private attribute is read
        through pydantic's __getattr__: once here, not once per item)."""
        source = self._source
        return [_where(source, line) for line in lines_of(self._raw, loc, count)]

    @property
    def dtype_bytes(self) -> int:
        """Bytes per element of the spec's dtype."""
        return DTYPE_BYTES[self.dtype]


def _where(source: str, line: int | None) -> str:
    return f"{source}:{line}" if line else source


# __init__ is for direct calls only: validation from a file keeps pydantic's own path (and its
# ValidationError, which validate_spec words with the file and line)
Spec.__pydantic_custom_init__ = False
Spec.model_rebuild(force=True)
