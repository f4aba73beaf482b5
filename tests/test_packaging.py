"""A plain (non-editable) install carries the zoo: `netcalc count zoo:vgg16` works anywhere."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from netcalc.zoo import names

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_contains_every_zoo_spec(tmp_path):
    source = tmp_path / "src"  # build from a copy: setuptools writes build/ next to the sources
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis"
        ),
    )
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(source)],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next(tmp_path.glob("netcalc-*.whl"))
    files = set(zipfile.ZipFile(wheel).namelist())
    assert len(names()) >= 8
    for name in names():
        assert f"netcalc/zoo/{name}.yaml" in files
    assert "netcalc/backend/kernels.py" in files
