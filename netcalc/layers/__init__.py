"""Every layer type netcalc knows, as an explicit list (no registration by import order)."""

from netcalc.layers.activation import (
    ELU,
    GELU,
    Activation,
    Hardsigmoid,
    Hardswish,
    LeakyReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Tanh,
)
from netcalc.layers.base import Layer, Shape
from netcalc.layers.conv import (
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
)
from netcalc.layers.dense import Dense
from netcalc.layers.merge import Add, Concat, Multiply
from netcalc.layers.norm import BatchNorm, Dropout, LayerNorm, LayerScale, StochasticDepth
from netcalc.layers.pool import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveAvgPool3d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    GlobalAvgPool,
    GlobalMaxPool,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
)
from netcalc.layers.reshape import (
    CenterCrop,
    ChannelShuffle,
    Flatten,
    Permute,
    Reshape,
    Select,
    Slice,
    Upsample,
)
from netcalc.layers.transformer import Attention, ClassToken, PosEmbedding

LAYERS: tuple[type[Layer], ...] = (
    Dense,
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveAvgPool3d,
    GlobalAvgPool,
    GlobalMaxPool,
    Upsample,
    Flatten,
    Reshape,
    Permute,
    Select,
    Slice,
    CenterCrop,
    ChannelShuffle,
    Dropout,
    StochasticDepth,
    BatchNorm,
    LayerNorm,
    LayerScale,
    Add,
    Multiply,
    Concat,
    ReLU,
    ReLU6,
    LeakyReLU,
    Sigmoid,
    Tanh,
    Softmax,
    GELU,
    SiLU,
    ELU,
    Hardswish,
    Hardsigmoid,
    ClassToken,
    PosEmbedding,
    Attention,
)
BY_KIND: dict[str, type[Layer]] = {cls.kind: cls for cls in LAYERS}
ACTIVATIONS: tuple[type[Activation], ...] = tuple(c for c in LAYERS if issubclass(c, Activation))

__all__ = ["ACTIVATIONS", "BY_KIND", "LAYERS", "Activation", "Layer", "Shape"] + [
    cls.__name__ for cls in LAYERS
]
