"""An error a validator raises about one key of the table it validates.

A check that involves several keys (``m < n`` of a graph, ``end`` after ``start``) runs
in a model validator, where pydantic would report the whole table. Raising
:class:`KeyProblem` instead names the key: :func:`sim.scenario.describe_errors` appends
``key`` to the table's path, so the user reads ``graph.m = 10: ...``, not ``graph: ...``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FOLDER_NAME_PATTERN", "KeyProblem", "ScenarioError", "folder_name"]

_UNSET = object()


class ScenarioError(ValueError):
    """A scenario (or batch) file or override that cannot be used; the message says why,
    one line per problem, naming the file, the key and the allowed values."""


class KeyProblem(ValueError):
    """A problem with ``key`` (dotted, relative to the table being validated).

    Parameters
    ----------
    key : str or tuple of str and int
        ``"m"``, ``"seeds"``, or ``("schedule", 1, "date")`` for a list item.
    message : str
        What is wrong and what is allowed, in the field's words.
    value : optional
        The value to show after the key (default: the value in the file, if any).
    """

    def __init__(self, key: str | tuple[str | int, ...], message: str, value: Any = _UNSET) -> None:
        super().__init__(message)
        self.parts: tuple[str | int, ...] = tuple(key.split(".")) if isinstance(key, str) else tuple(key)
        self.value = value

    @property
    def has_value(self) -> bool:
        """Whether the validator gave a value to show (else the file's value is shown)."""
        return self.value is not _UNSET


FOLDER_NAME_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9_.\-]*"
"""A name that becomes a folder under ``results/`` (scenario, batch, calibration), as a
regular expression matched whole (:func:`folder_name`; the JSON Schemas give it anchored)."""


def folder_name(name: str) -> str:
    """Check a name that becomes a folder under ``results/`` (a scenario, batch or
    calibration name): letters, digits, ``_``, ``.`` and ``-``, not starting with a dot or
    a dash, so the folder cannot leave ``results/``. Returns ``name``.

    Raises
    ------
    ValueError
        Saying in plain words which characters are allowed.
    """
    import re

    if re.fullmatch(FOLDER_NAME_PATTERN, name):
        return name
    what = "it names a folder under results/"
    bad = sorted({c for c in name if not (c.isascii() and (c.isalnum() or c in "_.-"))})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise ValueError(f"may hold only letters (a-z, A-Z), digits, '_', '.' and '-', not {shown} ({what})")
    raise ValueError(f"must start with a letter, a digit or '_', not {name[0]!r} ({what}, which a "
                     "leading dot would hide or a leading dash confuse with an option)")
