"""Reading a spec's raw data from a path, YAML or JSON text, a dict or zoo:NAME, bounded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netcalc.errors import SpecError
from netcalc.spec.yamlio import check_size, parse


def read(source: str | Path | dict) -> tuple[Any, str]:
    """The raw data of a spec and a label for messages."""
    if isinstance(source, dict):
        check_size(source, "<dict>")  # shared sub-lists are a dict's YAML aliases
        return source, "<dict>"
    if isinstance(source, str) and source.startswith("zoo:"):
        from netcalc.zoo import zoo_path

        path = zoo_path(source[4:])
        return parse(path.read_text(), source), source
    if isinstance(source, str) and ("\n" in source or source.lstrip().startswith("{")):
        return parse(source), "<string>"  # YAML text; one line of it is a flow mapping
    if not str(source).strip():
        raise SpecError("no spec given: pass a YAML or JSON file, YAML text, a dict or zoo:NAME")
    path = Path(source)
    if path.suffix.lower() == ".onnx":  # a model file: its graph as a spec
        from netcalc.interop.onnx_import import read_onnx

        return read_onnx(path), str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{path}: no such file") from None
    except (OSError, ValueError) as error:  # ValueError: undecodable text, a NUL in the path
        raise SpecError(f"{path}: cannot read: {error}") from None
    return parse(text, str(path), is_json=path.suffix == ".json"), str(path)
