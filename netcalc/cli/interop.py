"""`torch` and `import`: netcalc specs to and from other tools' model formats."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from netcalc.cli.app import SpecArg, app, load_spec
from netcalc.cli.backend import check_outputs
from netcalc.errors import NetcalcError
from netcalc.units import binary


def write_text(path: str, text: str) -> None:
    """Write a file, or a one-line NetcalcError saying why not."""
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise NetcalcError(f"{path}: cannot write: {error.strerror or error}") from None


@app.command("torch")
def torch_code(
    spec: SpecArg,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="the .py file to write; default (or -): stdout")
    ] = None,
) -> None:
    """Write the spec as a readable PyTorch module (one attribute per layer, blocks as sub-modules).

    Parameter names are the spec's layer paths, so weights saved by `netcalc run --save-weights`
    load by name. Writing the code needs nothing; running it needs PyTorch.

    \b
    Example: netcalc torch zoo:resnet18 -o resnet18.py
    """
    from netcalc.interop.torch_code import torch_source

    output = None if output == "-" else output  # -o -: stdout, as draw and report take it
    check_outputs({"--output": output}, [spec], "model.py")
    text = torch_source(load_spec(spec))
    if output is None:
        typer.echo(text, nl=False)
        return
    write_text(output, text)
    typer.echo(f"wrote {output}")


DEFAULTS: dict[str, Any] = {
    "stride": [1],
    "dilation": [1],
    "groups": 1,
    "bias": True,
    "padding": [0],
    "ceil_mode": False,
}


def _is_default(key: str, value: Any) -> bool:
    """Whether an imported argument is its default: [1, 1] is stride [1]; a bias list is no `true`."""
    default = DEFAULTS.get(key, ...)
    if isinstance(value, list) and isinstance(default, list):  # pad's [before, after] pairs: kept
        return all(not isinstance(v, list) for v in value) and set(value) == set(default)
    return bool(value == default)


def spec_yaml(spec: dict[str, Any]) -> str:
    """The spec as YAML, one line per layer, arguments at their defaults left out."""
    import yaml

    def flow(value: Any) -> str:
        return str(yaml.safe_dump(value, default_flow_style=True, width=10**6, sort_keys=False)).strip()

    head = {k: v for k, v in spec.items() if k != "layers"}
    lines = [
        str(yaml.safe_dump(head, sort_keys=False, default_flow_style=None, width=110)).rstrip(),
        "layers:",
    ]
    for entry in spec["layers"]:
        ((kind, args),) = entry.items()
        kept = {k: v for k, v in args.items() if not _is_default(k, v)}
        ordered = {
            "name": kept.pop("name"),
            **{k: v for k, v in kept.items() if k != "from"},
            "from": kept["from"],
        }
        lines.append(f"  - {kind}: {flow(ordered)}")
    return "\n".join(lines) + "\n"


@app.command("import")
def import_model(
    model: Annotated[
        str, typer.Argument(help="an ONNX model (.onnx), or - for stdin; its weights need not be there")
    ],
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="the spec (.yaml) to write; default (or -): stdout")
    ] = None,
) -> None:
    """Write an ONNX model as a netcalc spec: one layer per node, named after the node.

    Weights are not needed: initializers may be stripped or external data absent; shapes come
    from the graph. Every command also reads a .onnx file directly (netcalc count model.onnx).
    Needs the onnx extra: pip install 'netcalc[onnx]'.

    \b
    Example: netcalc import resnet18.onnx -o resnet18.yaml
    """
    from netcalc.interop.onnx_import import MAX_STDIN_BYTES, parse_onnx, read_onnx
    from netcalc.loading import load
    from netcalc.spec.messages import validate_spec

    output = None if output == "-" else output  # -o -: stdout, as draw and report take it
    check_outputs({"--output": output}, [model], "spec.yaml")
    if model == "-":  # `curl ... | netcalc import -`
        from netcalc.spec.read import stdin_bytes

        data = stdin_bytes(MAX_STDIN_BYTES + 1, example="cat model.onnx | netcalc import -", what="a model")
        if len(data) > MAX_STDIN_BYTES:
            limit = binary(MAX_STDIN_BYTES)
            raise NetcalcError(f"<stdin>: more than {limit} piped in — save the model and name the file")
        spec = parse_onnx(data, "<stdin>")
    elif not model.lower().endswith(".onnx"):
        raise NetcalcError(f"{model}: import reads ONNX models (.onnx files, or - for stdin)")
    else:
        spec = read_onnx(model)
    # the spec must load: its shapes and counts are checked before it is written; errors name the model
    load(validate_spec(spec, "<stdin>" if model == "-" else model))
    text = spec_yaml(spec)
    if output is None:
        typer.echo(text, nl=False)
        return
    write_text(output, text)
    typer.echo(f"wrote {output}")
