"""netcalc: shapes, parameters, neurons, MACs and memory of a neural-network design.

    >>> import netcalc
    >>> report = netcalc.analyze("specs/dense-vs-conv/conv.yaml")
    >>> report.params
    37568

Importing netcalc never imports NumPy; `run`, `verify` and `export` do, when called.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netcalc.errors import (
    NetcalcError,
    ResourceError,
    ShapeError,
    SpecError,
    UsageError,
    VerifyError,
)
from netcalc.lazy import exports

if TYPE_CHECKING:
    from netcalc.analysis.budget import BudgetCheck
    from netcalc.analysis.explain import Explained
    from netcalc.analysis.receptive_field import AxisField, LayerField, ReceptiveField
    from netcalc.analysis.training import TrainingMemory
    from netcalc.backend import Result
    from netcalc.explore.diff import Diff
    from netcalc.explore.sweep import Sweep
    from netcalc.graph import Network
    from netcalc.loading import Source, load
    from netcalc.report import Report
    from netcalc.spec import Spec
    from netcalc.verification import Verification

__version__ = "0.1.0"

# Network, Report, Spec and load are imported when first asked for: `netcalc --version` and the
# commands that do not load a spec never import pydantic or build a model
_LAZY = {
    "AxisField": "netcalc.analysis.receptive_field",
    "LayerField": "netcalc.analysis.receptive_field",
    "ReceptiveField": "netcalc.analysis.receptive_field",
    "Network": "netcalc.graph",
    "Report": "netcalc.report",
    "Spec": "netcalc.spec",
    "Source": "netcalc.loading",
    "load": "netcalc.loading",
}


__getattr__ = exports("netcalc", _LAZY, globals())


__all__ = [
    "AxisField",
    "LayerField",
    "NetcalcError",
    "Network",
    "ReceptiveField",
    "Report",
    "ResourceError",
    "ShapeError",
    "Spec",
    "SpecError",
    "UsageError",
    "VerifyError",
    "__version__",
    "analyze",
    "check_budget",
    "diagram",
    "diff",
    "explain",
    "export",
    "html_report",
    "load",
    "receptive_field",
    "run",
    "sweep",
    "to_torch",
    "training_memory",
    "verify",
]


def _load(source: Source, args: dict[str, Any] | None = None, input: Any = None) -> Network:
    from netcalc.loading import load as read

    return read(source, args=args, input=input)


def _analyze(network: Network, batch: int = 1) -> Report:
    from netcalc.report import analyze as assemble

    return assemble(network, batch=batch)


def analyze(source: Source, batch: int = 1, args: dict[str, Any] | None = None, input: Any = None) -> Report:
    """Every shape and count of a network: a loaded Network, a Spec, a path, 'zoo:NAME', YAML/JSON
    text or a dict (see `load` for how a str is read; `args` and `input` as `load` takes them).

    `batch`: a whole number (a NumPy integer too) of 1 or more. Raises SpecError (the spec),
    ShapeError (a layer cannot take its input) or UsageError (an argument); nothing else.
    """
    from netcalc import arguments

    size = arguments.batch(batch)
    return _analyze(_load(source, args=args, input=input), batch=size)


def receptive_field(source: Source, args: dict[str, Any] | None = None, input: Any = None) -> ReceptiveField:
    """Every layer's receptive field along each spatial axis of the input (r, S, P as in Araujo et
    al., Distill 2019): the same as `analyze(source).receptive_field`.

        >>> field = netcalc.receptive_field("zoo:vgg16").layers[30].axes[0]
        >>> (field.sizes, field.stride, field.padding)
        ((212, 212), Fraction(32, 1), 90)
    """
    fields = _analyze(_load(source, args=args, input=input)).receptive_field
    assert fields is not None  # analyze always computes it
    return fields


def training_memory(
    source: Source,
    batch: int = 1,
    optimizer: str = "adam",
    precision: str = "fp32",
    checkpoint: str = "none",
    args: dict[str, Any] | None = None,
    input: Any = None,
) -> TrainingMemory:
    """Bytes one training step holds: weights, gradients, optimizer state, fp32 master weights (mixed
    precision) and the activations PyTorch autograd saves for the backward pass (pure Python).

    optimizer: sgd, momentum, adam or adamw; precision: fp32, bf16-mixed or fp16-mixed;
    checkpoint: none or blocks (each top-level block checkpointed). Raises SpecError, ShapeError
    or UsageError. See netcalc.analysis.training for what is counted.
    """
    from netcalc import arguments, engine
    from netcalc.analysis.training import training_memory as compute

    network = _load(source, args=args, input=input)
    options = {"optimizer": optimizer, "precision": precision, "checkpoint": checkpoint}
    if not all(isinstance(v, str) for v in options.values()):
        raise UsageError(f"optimizer, precision and checkpoint are names (got {options})")
    return compute(network, engine.rows(network), arguments.batch(batch), **options)


def check_budget(
    source: Source,
    limits: dict[str, int | str] | None = None,
    batch: int = 1,
    optimizer: str = "adam",
    precision: str = "fp32",
) -> BudgetCheck:
    """The spec's figures against its budget: section and `limits` (which override it), as
    `netcalc check` gives them: {"max_params": "5M", "max_memory": "2GiB", "min_rf": 200}; keys
    max_params, max_macs, max_memory, max_train_memory, min_rf. `.ok` is True when all hold.
    Raises SpecError, ShapeError or UsageError (a bad limit, or no limit at all).
    """
    from netcalc import arguments, engine
    from netcalc.analysis.budget import LIMITS, check
    from netcalc.analysis.training import training_memory as compute

    network = _load(source)
    size = arguments.batch(batch)
    if limits is not None and not isinstance(limits, dict):
        raise UsageError(f"limits is a dict like {{'max_params': '5M'}} (got {limits!r:.60})")
    given = {name: _limit(name, value) for name, value in (limits or {}).items()}
    written = network.spec.budget.limits() if network.spec.budget else {}
    both = {**written, **given}
    merged = {name: both[name] for name in LIMITS if name in both}
    if not merged:
        raise UsageError(
            f"{network.name}: no budget to check: give --max-params, --max-macs, --max-memory, "
            "--max-train-memory or --min-rf, or a budget: section in the spec"
        )
    sources = {name: "option" if name in given else "spec" for name in merged}
    train = None
    if "max_train_memory" in merged:
        train = compute(network, engine.rows(network), size, optimizer, precision).total
    return check(
        _analyze(network, batch=size), {k: v for k, v in merged.items() if v is not None}, sources, train
    )


def _limit(name: str, value: object) -> int:
    """One budget limit: a positive whole number, or a size text ('5M', '2GiB')."""
    from netcalc import arguments
    from netcalc.analysis.budget import LIMITS

    option = "--" + name.replace("_", "-")
    if name not in LIMITS:
        raise UsageError(f"unknown budget limit '{name}': use {', '.join(LIMITS)}")
    if isinstance(value, str) and name != "min_rf":
        return (arguments.parse_bytes if "memory" in name else arguments.parse_count)(value, option)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    return arguments.whole(option, value, 1, arguments.MAX_BYTES)


def explain(
    source: Source,
    layers: Sequence[str | int] = (),
    depth: int | None = None,
    batch: int = 1,
    args: dict[str, Any] | None = None,
    input: Any = None,
) -> Explained:
    """Every figure of each layer as its formula with the layer's numbers (`netcalc explain`).

    `layers`: names, indices or block names (default: every layer, with the totals as their sums);
    `depth`: blocks nested deeper are explained as the sums of their layers. Raises UsageError for a
    layer the network does not have.
    """
    from netcalc import arguments
    from netcalc.analysis.explain import explain as build
    from netcalc.render.report import visible

    if isinstance(layers, (str, int)):
        layers = [layers]
    if depth is not None:
        depth = arguments.whole("depth", depth, 0, 2**31)
    network = _load(source, args=args, input=input)
    report = _analyze(network, batch=arguments.batch(batch))
    lines: list[Any]
    if layers:
        lines = [_pick(report, name) for name in layers]
    elif depth is not None:
        lines = visible(report, depth)
    else:
        lines = list(report.rows)
    return build(network, report.rows, report.receptive_field, lines, report.batch, whole=not layers)


def _pick(report: Report, name: str | int) -> Any:
    """A layer by name or index, or a block by name; a UsageError naming the nearest otherwise."""
    from netcalc.spec import nearest

    text = str(name)
    for row in report.rows:
        if text in (row.name, str(row.index)):
            return row
    for group in report.groups:
        if text == group.name:
            return group
    hint = nearest(text, [r.name for r in report.rows] + [g.name for g in report.groups])
    raise UsageError(
        f"{report.source} has no layer or block '{text}'{hint or ''} — name one, or give its index"
    )


def run(
    spec: Source,
    x: Any = None,
    weights: Any = None,
    seed: int = 0,
    batch: int = 1,
    dtype: str = "float32",
    training: bool = False,
    max_memory: int | str | None = None,
    progress: Any = None,
) -> Result:
    """Execute a spec with the NumPy backend (imports NumPy); returns a backend.Result.

    x: an array [batch, *input] of real numbers (default: drawn from the seed's input stream);
    weights: a dict of arrays keyed 'layer/tensor' or an earlier Result (default: drawn per tensor
    from the seed); seed and batch: whole numbers (seed >= 0, batch >= 1; NumPy integers too);
    dtype: 'float32' or 'float64'; max_memory: bytes or a size like '2G' (default 2 GiB).
    Raises SpecError, ShapeError, UsageError (an argument) or ResourceError (over max_memory).
    """
    from netcalc.verification import run as run_network

    options = {"x": x, "weights": weights, "seed": seed, "batch": batch, "dtype": dtype}
    return run_network(_load(spec), max_memory=max_memory, training=training, progress=progress, **options)


def verify(
    spec: Source,
    seed: int = 0,
    batch: int = 2,
    dtype: str = "float32",
    max_memory: int | str | None = None,
    progress: Any = None,
) -> Verification:
    """Check every counted figure of a spec against real arrays; returns a Verification.

    Arguments as for `run`. Raises SpecError, ShapeError, UsageError or ResourceError; a
    disagreement is not raised but listed in the result (`.ok`, `.failures()`).
    """
    from netcalc.verification import verify as verify_network

    return verify_network(
        _load(spec), seed=seed, batch=batch, dtype=dtype, max_memory=max_memory, progress=progress
    )


def export(
    spec: Source,
    path: str | Path,
    weights: Any = None,
    seed: int = 0,
    opset: int = 17,
    max_memory: int | str | None = None,
) -> str:
    """Write the spec as an ONNX model to exactly `path` (needs the onnx extra); returns what was
    written. Arguments as for `run`; `opset` from 17. Raises SpecError, ShapeError, UsageError
    (an argument, a directory as path) or ResourceError.
    """
    from netcalc import arguments
    from netcalc.interop.onnx_export import save, to_onnx

    if not isinstance(path, str | Path) or not str(path).strip() or Path(path).is_dir():
        raise UsageError(f"export path must name a file to write (got {str(path)[:80]!r})")
    network = _load(spec)
    model = to_onnx(
        network,
        weights=weights,  # checked by the run that draws or takes them
        seed=arguments.seed(seed),
        opset=arguments.whole("opset", opset, 1, 1000),
        max_memory=arguments.max_memory(max_memory),
    )
    return save(model, path)


def sweep(
    specs: Source | list[Source],
    values: dict[str, str | list[Any]],
    metrics: tuple[str, ...] | None = None,
    batch: int = 1,
) -> Sweep:
    """Totals of each spec at every combination of argument values: {"size": "32..1024*2"} or
    {"size": [32, 64]}; each spec is read once. See netcalc.explore.sweep.METRICS for the metrics."""
    from netcalc import arguments
    from netcalc.explore.sweep import DEFAULT_METRICS, grid
    from netcalc.explore.sweep import sweep as run_sweep

    if not isinstance(values, dict) or not all(isinstance(v, (str, list)) for v in values.values()):
        raise UsageError(
            f'values is a dict like {{"size": "32..1024*2"}} or {{"size": [32, 64]}} (got {values!r:.60})'
        )
    size = arguments.batch(batch)
    sources = specs if isinstance(specs, list) else [specs]
    texts = {k: v if isinstance(v, str) else ",".join(map(str, v)) for k, v in values.items()}
    return run_sweep([_load(s) for s in sources], grid(texts), metrics or DEFAULT_METRICS, size)


def diff(a: Source, b: Source, batch: int = 1) -> Diff:
    """Two specs aligned layer by layer, with their changes and their totals side by side."""
    from netcalc.explore.diff import diff as compare

    return compare(_analyze(_load(a), batch=batch), _analyze(_load(b), batch=batch))


def diagram(spec: Source, depth: int | None = None, colour: str = "params", format: str = "svg") -> str:
    """The network drawn as SVG (needs netcalc[diagram]), Graphviz DOT or Mermaid text."""
    from netcalc import arguments
    from netcalc.explore.diagram import diagram as build
    from netcalc.render import render

    if depth is not None:
        depth = arguments.whole("depth", depth, 1, 2**31)
    return str(render("diagram", format, build(_analyze(_load(spec)), depth, colour)))


def html_report(spec: Source, batch: int = 1, spec_text: str | None = None) -> str:
    """One self-contained HTML page of the spec's report (the diagram when netcalc[diagram] is there)."""
    import yaml

    from netcalc.explore.diagram import diagram as build
    from netcalc.render.diagram import to_svg
    from netcalc.render.html import page

    if spec_text is not None and not isinstance(spec_text, str):
        raise UsageError(f"spec_text is the spec's text, a str (got {type(spec_text).__name__})")
    network = _load(spec)
    result = _analyze(network, batch=batch)
    try:
        svg, note = to_svg(build(result, 1 if result.groups else None)), ""
    except NetcalcError as error:
        svg, note = None, f"No diagram: {error}"
    text = spec_text if spec_text is not None else yaml.safe_dump(_plain(network.spec._raw), sort_keys=False)
    return page(result, text, svg, note)


def _plain(value: Any) -> Any:
    """Raw spec data as plain dicts and lists, for YAML output."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def to_torch(spec: Source) -> Any:
    """The spec as a torch.nn.Module, names kept (imports PyTorch: pip install 'netcalc[torch]')."""
    from netcalc.interop.torch_code import to_torch as build

    return build(_load(spec))
