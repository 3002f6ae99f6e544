"""Packaging: the build backend can read pyproject.toml's licence fields, and the files
the wheel must carry (the PEP 561 marker, the licence) exist where pyproject names them."""

from __future__ import annotations

import tomllib

from packaging.requirements import Requirement
from packaging.version import Version

from .conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_setuptools_is_new_enough_for_an_spdx_licence():
    # `license = "MIT"` (an SPDX expression) and `license-files` need setuptools >= 77:
    # 69.5.1, the old floor, refuses the string form and the build fails
    assert PYPROJECT["project"]["license"] == "MIT"
    (req,) = [Requirement(r) for r in PYPROJECT["build-system"]["requires"] if Requirement(r).name == "setuptools"]
    assert not req.specifier.contains(Version("76.1")) and req.specifier.contains(Version("77.0.3"))


def test_the_licence_file_exists_and_is_mit():
    files = PYPROJECT["project"]["license-files"]
    assert files == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "Copyright (c) 2024-2026 giftsim contributors" in text
    assert "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND" in text


def test_package_data_files_exist():
    # every file pyproject ships as package data is in the tree (py.typed was named but missing)
    data = PYPROJECT["tool"]["setuptools"]["package-data"]
    assert data == {"sim": ["py.typed", "evidence/posterior.parquet", "viz/static/sigma_view.js",
                            "viz/static/sigma_view.LICENSES.txt", "viz/static/raster_view.js"]}
    for package, names in data.items():
        for name in names:
            assert (ROOT / package / name).is_file(), f"{package}/{name}"

