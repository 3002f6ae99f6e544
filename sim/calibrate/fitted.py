"""``fitted.toml``: a scenario extending a calibration's base with fitted values."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import tomli_w

from ..scenario import load_scenario, with_overrides

__all__ = ["write_fitted"]


def write_fitted(base_path: Path, folder: Path, values: dict[str, float], name: str, header: str) -> Path:
    """Write ``folder/fitted.toml``: ``extends`` the base (a path relative to ``folder``, so
    the results folder can move with the project), ``name`` and the ``values`` of the dotted
    scenario keys as the base scenario stores them (integer keys rounded; a parameter of a
    distribution writes the whole distribution, so that it stands alone).

    Parameters
    ----------
    base_path : Path
        The calibrated scenario file.
    folder : Path
        The results folder (exists).
    values : dict of str to float
        Dotted scenario key -> value.
    name : str
        The fitted scenario's name.
    header : str
        A comment line (without ``#``) at the top of the file.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    sim.scenario.ScenarioError
        If a value is invalid for its key.
    """
    fitted_sc = with_overrides(load_scenario(base_path), [(k, float(v)) for k, v in values.items()],
                               source="calibration")
    dump = fitted_sc.model_dump(mode="json", by_alias=True)
    doc: dict[str, Any] = {"extends": os.path.relpath(Path(base_path).resolve(), Path(folder).resolve()),
                           "name": name}
    for key in values:
        parts = key.split(".")
        node = dump
        for p in parts[:-1]:
            node = node[p]
        path, value = (parts[:-1], node) if isinstance(node, dict) and "dist" in node else (parts, node[parts[-1]])
        target = doc
        for p in path[:-1]:
            target = target.setdefault(p, {})
        target[path[-1]] = value
    out = Path(folder) / "fitted.toml"
    out.write_text(f"# {header}\n" + tomli_w.dumps(doc))
    return out
