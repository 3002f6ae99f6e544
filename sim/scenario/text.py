"""Keys and values written as the user wrote them, for messages.

``dotted_key(["occasions", 0, "date"])`` gives ``occasions[0].date``; ``inline_value``
gives a value TOML-like (ISO dates, ``true``, inline tables); ``toml_value`` gives it in
TOML syntax (``{ rule = "equal" }``); ``short_value`` cuts a long one to 60 characters.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

__all__ = ["dotted_key", "inline_value", "short_value", "toml_value"]


def dotted_key(parts: list[str | int]) -> str:
    """Key parts as the user reads them: ``occasions[0].date``; a part that is not a bare
    TOML key (spaces, dots, control characters) quoted; ``(top level)`` for no parts."""
    out = ""
    for p in parts:
        if isinstance(p, str) and not re.fullmatch(r"[A-Za-z0-9_\-]+", p):
            p = repr(p)  # a key with spaces, dots or control characters, quoted
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out or "(top level)"


def short_value(v: Any) -> str:
    """:func:`inline_value`, cut to 60 characters (ending ``...``) when longer."""
    text = inline_value(v)
    return text if len(text) <= 60 else text[:57] + "..."


def inline_value(v: Any) -> str:
    """A value as the user wrote it (TOML-like: ISO dates, inline tables), not a Python repr."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dt.date, dt.datetime, dt.time)):
        return v.isoformat()
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return str(v)
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{k} = {inline_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(inline_value(x) for x in v) + "]"
    if isinstance(v, BaseModel):
        return inline_value(v.model_dump(by_alias=True))
    return repr(v)


def toml_value(v: Any) -> str:
    """A value in TOML syntax: ``{ rule = "head_boost", boost = 5.0 }``."""
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, Mapping):
        items = ", ".join(f"{k if re.fullmatch(r'[A-Za-z0-9_-]+', str(k)) else json.dumps(str(k))} = {toml_value(x)}"
                          for k, x in v.items())
        return "{ " + items + " }" if items else "{}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return inline_value(v)
