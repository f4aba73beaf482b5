"""report: one self-contained HTML page, checked in headless Chromium (no console message, the totals
shown are the report's, a screenshot), and its parts checked as text."""

import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

import netcalc
from netcalc.cli import app
from netcalc.render.html import page

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]
EXTERNAL = re.compile(
    r"""(src|href)\s*=\s*["']?(https?:)?//|<link\b|@import|url\(\s*["']?(https?:)?//""", re.I
)
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
SCREENSHOTS = Path(tempfile.gettempdir()) / "netcalc-report-screenshots"  # kept after the run, to look at


def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium here (.ci/run installs Debian's chromium; apt-get install -y chromium)")


def chromium(url: str, *options: str) -> tuple[str, list[str]]:
    """Chromium's stdout and the console messages it logged, in a fresh profile."""
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [browser(), *FLAGS, f"--user-data-dir={profile}", *options, url],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return done.stdout, console


class Texts(HTMLParser):
    """The text of every element with an id, and the attributes of <html>."""

    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, str] = {}
        self.html: dict[str, str | None] = {}
        self.stack: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.html = attributes
        if tag in VOID:
            return
        self.stack.append(attributes.get("id"))
        if attributes.get("id"):
            self.by_id[attributes["id"]] = ""

    def handle_startendtag(self, tag, attrs):
        pass  # <path/>: no text, nothing to close

    def handle_endtag(self, tag):
        if tag not in VOID:
            self.stack.pop()

    def handle_data(self, data):
        for element in self.stack:
            if element:
                self.by_id[element] += data


@pytest.fixture(scope="module")
def resnet(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "resnet50.html"
    result = CliRunner().invoke(app, ["report", "zoo:resnet50", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_the_page_is_self_contained(resnet):
    text = resnet.read_text()
    assert text.startswith("<!DOCTYPE html>")
    assert not EXTERNAL.search(text), EXTERNAL.search(text)
    assert "<svg" in text and "<?xml" not in text  # the diagram is inline
    assert text.count("<details") == text.count("</details>") == len(netcalc.analyze("zoo:resnet50").groups)
    assert "bottleneck_down:               # projection shortcut" in text  # the spec, with its comments


def test_chromium_renders_it_without_console_messages_and_shows_the_reports_totals(resnet):
    report = netcalc.analyze("zoo:resnet50")
    dom, console = chromium(resnet.as_uri(), "--dump-dom")
    assert console == []
    texts = Texts()
    texts.feed(dom)
    assert texts.html.get("data-ready") == "yes"  # the inline script ran to its end
    t = report.totals
    shown = {
        "params": t.params,
        "non_trainable_params": t.state,
        "neurons": t.neurons,
        "macs": t.macs,
        "flops": 2 * t.macs,
        "activations": t.activations,
        "memory": report.memory.total,
        "peak_memory": report.peak_bytes,
    }
    for key, value in shown.items():
        assert texts.by_id[f"total-{key}"].strip() == f"{value:,}", key
    assert texts.by_id["total-params"].strip() == "25,557,032"  # torchvision's figure
    assert texts.by_id["name"] == "resnet50"


def test_chromium_opens_every_block_for_expand(resnet):
    groups = len(netcalc.analyze("zoo:resnet50").groups)
    closed, _ = chromium(resnet.as_uri(), "--dump-dom")
    opened, console = chromium(resnet.as_uri() + "#expand", "--dump-dom")
    assert console == []
    is_open = re.compile(r"<details\b[^>]*\bopen\b")
    assert closed.count("<details ") == groups and not is_open.search(closed)
    assert len(is_open.findall(opened)) == groups  # the script ran in the browser and opened them all


def test_chromium_screenshot(resnet):
    SCREENSHOTS.mkdir(exist_ok=True)
    shot = SCREENSHOTS / "resnet50.png"
    shot.unlink(missing_ok=True)
    _, console = chromium(
        resnet.as_uri(), f"--screenshot={shot}", "--window-size=1280,1500", "--hide-scrollbars"
    )
    assert console == []
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(data[16:20], "big") == 1280  # the window's width


def test_the_console_check_catches_an_error(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><body><script>throw new Error('boom')</script></body></html>")
    _, console = chromium(bad.as_uri(), "--dump-dom")
    assert any("Uncaught Error: boom" in line for line in console)


def test_page_parts_without_a_diagram():
    report = netcalc.analyze("specs/dense-vs-conv/conv.yaml", batch=4)
    html = page(report, "input: [1, 8, 8]\n", None, "No diagram: here is why")
    assert "<p>No diagram: here is why</p>" in html
    assert f'data-value="{report.totals.macs * 4}"' in html and "MACs (batch 4)" in html
    assert "<details" not in html  # no blocks, nothing to collapse


def test_cli_stdin_set_and_errors(tmp_path):
    with open("specs/dense-vs-conv/dense.yaml") as file:
        text = file.read()
    out = tmp_path / "d.html"
    result = CliRunner().invoke(app, ["report", "-", "--set", "size=32", "-o", str(out)], input=text)
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert f'data-value="{32 * 32 * 1000 + 1000 + 1001000 + 1001}"' in html
    assert "args: {size: 256}" in html  # the spec as piped in
    bad = CliRunner().invoke(app, ["report", "zoo:resnet50", "--set", "size=3"])
    assert bad.exit_code == 2 and bad.stderr.startswith("error: zoo:resnet50: no argument 'size' to set")
    missing = CliRunner().invoke(app, ["report", "nope.yaml"])
    assert missing.exit_code == 1 and missing.stderr == "error: nope.yaml: no such file\n"


def test_help_has_an_example():
    result = CliRunner().invoke(app, ["report", "--help"])
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "netcalc report zoo:resnet50 -o resnet50.html" in lines  # an example on a line of its own


def test_library_report_and_diagram():
    html = netcalc.html_report({"input": [4], "layers": ["relu", {"dense": {"units": 3}}]})
    assert 'data-value="15"' in html and "- dense:" in html  # 4*3+3 params; the spec as YAML
    assert netcalc.diagram("zoo:lenet5", format="dot").startswith('digraph "lenet5"')
