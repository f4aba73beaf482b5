"""Other formats in and out: ONNX export (onnx_export)."""
