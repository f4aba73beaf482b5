"""diagram: every layer (or block) once, edges exactly the `from` relations, in SVG, DOT and Mermaid."""

import re
import xml.etree.ElementTree as ET

import pytest
from typer.testing import CliRunner

import netcalc
from netcalc.cli import app
from netcalc.errors import NetcalcError, UsageError
from netcalc.explore.diagram import diagram
from netcalc.render import diagram as draw

SVG = "{http://www.w3.org/2000/svg}"
ZOO = ["lenet5", "resnet50", "unet", "inception_v3", "vit_b_16"]


def layer_graph(report) -> tuple[set[str], set[tuple[str, str]]]:
    """Every layer and the input, and every (source, target) named by the layers' inputs."""
    nodes = {"input", *(r.name for r in report.rows)}
    edges = {(source, r.name) for r in report.rows for source in r.inputs}
    return nodes, edges


def split_edge(title: str, nodes: set[str]) -> tuple[str, str]:
    """'a->b' as (a, b), choosing the split where both sides are boxes (names may hold '-')."""
    splits = [(title[:i], title[i + 2 :]) for i in range(len(title)) if title.startswith("->", i)]
    found = [(a, b) for a, b in splits if a in nodes and b in nodes]
    assert len(found) == 1, title
    return found[0]


def svg_graph(text: str, nodes: set[str]) -> tuple[list[str], set[tuple[str, str]], int]:
    root = ET.fromstring(text)  # well-formed, or this raises
    groups = list(root.iter(f"{SVG}g"))
    titles = [g.find(f"{SVG}title").text for g in groups if g.get("class") == "node"]
    edge_titles = [g.find(f"{SVG}title").text for g in groups if g.get("class") == "edge"]
    return titles, {split_edge(t, nodes) for t in edge_titles}, len(edge_titles)


def dot_graph(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    nodes = re.findall(r'^  "([^"]+)" \[label=', text, flags=re.M)
    edges = re.findall(r'^  "([^"]+)" -> "([^"]+)"', text, flags=re.M)
    return nodes, edges


def mermaid_graph(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    assert text.startswith("flowchart TD\n")
    ids = dict(re.findall(r'^  (n\d+)\["<b>([^<]+)</b>', text, flags=re.M))
    edges = re.findall(r"^  (n\d+) (?:-->|-\.->) (n\d+)$", text, flags=re.M)
    return list(ids.values()), [(ids[a], ids[b]) for a, b in edges]


@pytest.mark.parametrize("name", ZOO)
def test_full_depth_every_layer_once_and_edges_are_the_from_relations(name):
    report = netcalc.analyze(f"zoo:{name}")
    nodes, edges = layer_graph(report)
    d = diagram(report)
    titles, svg_edges, edge_count = svg_graph(draw.to_svg(d), nodes)
    assert sorted(titles) == sorted(nodes)  # each once
    assert svg_edges == edges and edge_count == len(edges)
    dot_nodes, dot_edges = dot_graph(draw.to_dot(d))
    assert sorted(dot_nodes) == sorted(nodes) and sorted(dot_edges) == sorted(edges)
    mermaid_nodes, mermaid_edges = mermaid_graph(draw.to_mermaid(d))
    assert sorted(mermaid_nodes) == sorted(nodes) and sorted(mermaid_edges) == sorted(edges)


RESNET50_DEPTH_1 = [
    ("input", "input"), ("conv1", "conv2d"), ("batchnorm_1", "batchnorm"), ("relu_1", "relu"),
    ("maxpool2d_1", "maxpool2d"),
    ("layer1_0", "bottleneck_down"), ("layer1", "bottleneck x2"),
    ("layer2_0", "bottleneck_down"), ("layer2", "bottleneck x3"),
    ("layer3_0", "bottleneck_down"), ("layer3", "bottleneck x5"),
    ("layer4_0", "bottleneck_down"), ("layer4", "bottleneck x2"),
    ("global_avgpool_1", "global_avgpool"), ("flatten_1", "flatten"), ("fc", "dense"),
]  # fmt: skip


def test_depth_1_collapses_blocks_and_repeats():
    report = netcalc.analyze("zoo:resnet50")
    d = diagram(report, depth=1)
    assert [(b.id, b.kind) for b in d.boxes] == RESNET50_DEPTH_1
    assert sum(b.params for b in d.boxes) == report.params == 25_557_032
    assert sum(b.layers for b in d.boxes) == len(report.rows)
    chain = [b.id for b in d.boxes]
    assert [(e.source, e.target) for e in d.edges] == list(zip(chain[:-1], chain[1:], strict=True))
    layer4 = d.boxes[12]
    assert layer4.params == 2 * (2048 * 512 + 2 * 512 + 512 * 512 * 9 + 2 * 512 + 512 * 2048 + 2 * 2048)
    assert layer4.share == layer4.params / report.params


def test_depth_1_keeps_the_unet_skips():
    d = diagram(netcalc.analyze("zoo:unet"), depth=1)
    skips = {(e.source, e.target) for e in d.edges if e.skip}
    assert skips == {("enc1", "dec1"), ("enc2", "dec2"), ("enc3", "dec3"), ("enc4", "dec4")}
    nodes = {b.id for b in d.boxes}
    titles, edges, _ = svg_graph(draw.to_svg(d), nodes)
    assert sorted(titles) == sorted(nodes)
    assert edges == {(e.source, e.target) for e in d.edges}


def test_colour_follows_the_share():
    assert draw.fill(0) == "#ffffff" and draw.fill(1) == "#f16913"
    d = diagram(netcalc.analyze("zoo:resnet50"), depth=1, colour_by="macs")
    assert d.boxes[1].share == d.boxes[1].macs / netcalc.analyze("zoo:resnet50").totals.macs
    with pytest.raises(UsageError, match="--colour flops: choose params or macs"):
        diagram(netcalc.analyze("zoo:lenet5"), colour_by="flops")
    with pytest.raises(UsageError, match="--depth 0: 1 draws the top-level blocks"):
        diagram(netcalc.analyze("zoo:lenet5"), depth=0)


def test_without_the_layout_binary_svg_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setattr(draw.shutil, "which", lambda name: None)
    monkeypatch.setattr(draw.sysconfig, "get_path", lambda name: str(tmp_path))
    with pytest.raises(NetcalcError, match=re.escape("pip install netcalc[diagram]")):
        draw.to_svg(diagram(netcalc.analyze("zoo:lenet5")))


def invoke(*args: str, stdin: str | None = None):
    result = CliRunner().invoke(app, list(args), input=stdin, env={"NO_COLOR": "1"})
    assert "Traceback" not in result.output
    return result


def test_cli_writes_svg_dot_and_mermaid(tmp_path):
    out = tmp_path / "pics" / "net.svg"
    result = invoke("diagram", "zoo:unet", "--depth", "1", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert ET.parse(out).getroot().tag == f"{SVG}svg"
    dot = invoke("diagram", "zoo:lenet5", "-f", "dot")
    assert dot.exit_code == 0 and dot.stdout.startswith('digraph "lenet5" {')
    result = invoke("diagram", "zoo:lenet5", "-o", str(tmp_path / "l.mmd"))
    assert (tmp_path / "l.mmd").read_text().startswith("flowchart TD")
    with open("specs/dense-vs-conv/conv.yaml") as file:
        piped = invoke("diagram", "-", "-f", "mermaid", "--set", "size=32", stdin=file.read())
    assert piped.exit_code == 0 and "64x32x32" in piped.stdout


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["-f", "png"], 2, "error: diagram does not write png: use --format svg or dot or mermaid"),
        (["--depth", "0"], 2, "error: --depth 0: 1 draws the top-level blocks as boxes"),
        (["--colour", "flops"], 2, "error: --colour flops: choose params or macs"),
        (["-o", "/proc/no/such/dir/x.dot"], 1, "error: /proc/no/such/dir/x.dot: cannot write"),
    ],
)
def test_cli_errors(args, code, message):
    result = invoke("diagram", "zoo:lenet5", *args)
    assert result.exit_code == code, result.output
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1


def test_help_has_an_example():
    lines = [line.strip() for line in invoke("diagram", "--help").stdout.splitlines()]
    assert "netcalc diagram zoo:unet --depth 1 -o unet.svg" in lines  # an example on a line of its own


def test_too_many_boxes_is_a_usage_error_with_the_way_out():
    spec = "input: [4]\nblocks:\n  b:\n    layers: [relu]\nlayers:\n  - b: {repeat: 5001}\n"
    report = netcalc.analyze(spec)
    with pytest.raises(UsageError, match="5,002 boxes, more than 5,000 — draw blocks with --depth 1"):
        draw.to_svg(diagram(report))
    assert [b.kind for b in diagram(report, depth=1).boxes] == ["input", "b x5001"]


def test_names_with_quotes_and_markup_survive_every_format():
    report = netcalc.analyze("input: [4]\nlayers:\n  - relu: {name: 'a\"b'}\n  - tanh: {name: 'x<y>&z'}\n")
    nodes, edges = layer_graph(report)
    d = diagram(report)
    titles, svg_edges, _ = svg_graph(draw.to_svg(d), nodes)
    assert sorted(titles) == sorted(nodes) and svg_edges == edges
    dot = draw.to_dot(d)
    assert '  "a\\"b" -> "x<y>&z";' in dot and "<B>x&lt;y&gt;&amp;z</B>" in dot
    assert '["<b>a#quot;b</b>' in draw.to_mermaid(d)
