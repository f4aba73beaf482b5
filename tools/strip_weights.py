"""Dev-only, shared by the fixture scripts: an ONNX model without its float weight data."""

from __future__ import annotations

from collections.abc import Collection

import onnx


def strip(model: onnx.ModelProto, keep: Collection[str] = ()) -> None:
    """Drop float weight data: names and dims stay (a weight-free model); small vectors, and the
    tensors named in `keep`, keep theirs."""
    for tensor in model.graph.initializer:
        weight = (
            tensor.data_type in (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE) and tensor.name not in keep
        )
        if weight and len(tensor.dims) >= 1 and (tensor.dims[0] > 16 or len(tensor.dims) > 1):
            tensor.ClearField("raw_data")
            tensor.ClearField("float_data")
