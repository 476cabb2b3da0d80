"""The package as PyPI and pip see it: twine's strict check, a wheel that carries the license and
what runs, and an installed wheel that runs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import ROOT
from tests.support.project import VERSION


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """python -m build on a copy of the tracked files, as a fresh clone has them."""
    source = tmp_path_factory.mktemp("source")
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(source)],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


def test_twine_check_strict_passes(dist: Path) -> None:
    files = sorted(dist.iterdir())
    assert [f.name for f in files] == [f"llm_fleet_exporter-{VERSION}-py3-none-any.whl",
                                       f"llm_fleet_exporter-{VERSION}.tar.gz"]
    twine = Path(sys.executable).parent / "twine"
    result = subprocess.run([str(twine), "check", "--strict", *map(str, files)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_wheel_carries_the_license_and_what_runs(dist: Path) -> None:
    import zipfile

    wheel = next(dist.glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "exporter/schema.json" in names and "exporter/demo/config.yaml" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not any(n.startswith("tests/") for n in names)


def test_the_installed_wheel_runs(dist: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", str(next(dist.glob("*.whl")))],
                         capture_output=True, text=True, timeout=600)
    assert pip.returncode == 0, pip.stderr[-2000:]
    exe = str(venv / "bin" / "llm-fleet-exporter")
    elsewhere = tmp_path / "elsewhere"  # nowhere near the checkout: only the installed package
    elsewhere.mkdir()
    version = subprocess.run([exe, "--version"], cwd=elsewhere, capture_output=True, text=True, timeout=60)
    assert version.stdout.strip() == f"llm-fleet-exporter {VERSION}"
    once = subprocess.run([exe, "--demo", "--once"], cwd=elsewhere, capture_output=True, text=True, timeout=120,
                          env={"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)})
    assert once.returncode == 0, once.stderr[-2000:]
    assert re.search(r"^llm_source_up\{", once.stdout, re.M) and re.search(r"^gatewayz_providers_total\{", once.stdout,
                                                                           re.M)
