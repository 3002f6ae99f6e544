"""An error a validator raises about one key of the table it validates.

A check that involves several keys (``m < n`` of a graph, ``end`` after ``start``) runs
in a model validator, where pydantic would report the whole table. Raising
:class:`KeyProblem` instead names the key: :func:`sim.scenario.describe_errors` appends
``key`` to the table's path, so the user reads ``graph.m = 10: ...``, not ``graph: ...``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["KeyProblem"]

_UNSET = object()


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
        return self.value is not _UNSET
