"""Tables of named entries with built-in defaults: ``[merchants.<kind>]`` and
``[categories.<name>]``. A table for a built-in entry changes only the keys it gives; any
other name declares a new entry, checked by the caller."""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping

from pydantic import BaseModel

from .errors import KeyProblem

__all__ = ["complete_named_tables"]


def complete_named_tables(data: object, settings: Container[str], builtin: Mapping[str, BaseModel], *, most: int,
                          noun: str, plural: str, check_new: Callable[[str, object], None]) -> object:
    """The raw table ``data`` with each built-in entry's given keys laid over its defaults.

    Parameters
    ----------
    data : object
        The raw table (anything but a dict is returned unchanged, for pydantic to refuse).
    settings : container of str
        Keys of the table that are settings or built-in entries, not new entries.
    builtin : mapping of str to pydantic model
        The built-in entries with their defaults.
    most : int
        Most entries, built-in ones included; ``noun`` and ``plural`` name them in the message.
    check_new : callable (name, given)
        Raises :class:`KeyProblem` for a key that is not a valid new entry.

    Raises
    ------
    KeyProblem
        Naming the first entry past ``most`` (before any entry is looked at), or from ``check_new``.
    """
    if not isinstance(data, dict):
        return data
    out = dict(data)
    extra = [k for k in out if k not in settings]
    if len(builtin) + len(extra) > most:
        raise KeyProblem(extra[most - len(builtin)], f"is {noun} {most + 1} (of {len(builtin) + len(extra)}); "
                         f"allowed: at most {most} {plural} (the {len(builtin)} built-in ones included)")
    for name, given in out.items():
        if name in builtin and isinstance(given, dict):
            out[name] = {**builtin[name].model_dump(by_alias=True), **given}
        elif name not in settings:
            check_new(name, given)
    return out
