"""The license and the changelog the package ships."""

from __future__ import annotations

import re

from tests.support.processes import ROOT
from tests.support.project import PYPROJECT, VERSION


def test_license_and_changelog() -> None:
    license_text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in license_text and "Version 2.0, January 2004" in license_text
    assert "END OF TERMS AND CONDITIONS" in license_text and len(license_text) > 10_000  # the full text
    assert PYPROJECT["project"]["license"] == "Apache-2.0"
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "keepachangelog.com" in changelog and "semver.org" in changelog
    assert re.search(rf"^## \[{re.escape(VERSION)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.M), VERSION
    assert "## [Unreleased]" in changelog
    readme = (ROOT / "README.md").read_text()
    assert "CHANGELOG.md" in readme and "breaking change" in readme
