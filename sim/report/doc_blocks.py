"""GENERATED blocks of a Markdown document: the text between ``<!-- generated: NAME -->`` and
``<!-- end generated -->`` is remade by a program; everything outside stays as written.

A start marker may carry options after the name, ``key=value`` separated by spaces
(``<!-- generated: commercial_share_sweep compare=gifts_sent,hhi -->``); values have no
spaces. Markers stand alone on their line (a marker quoted inside a line, as in
```<!-- generated: NAME -->```, is text). Blocks do not nest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Block", "DocBlockError", "find_blocks", "replace_blocks", "END_MARKER"]

END_MARKER = "<!-- end generated -->"
"""The line that closes a generated block."""

_START = re.compile(r"<!--\s*generated:\s*(?P<spec>[^>]*?)\s*-->")
_END = re.compile(r"<!--\s*end generated\s*-->")
_ANY = re.compile(r"^[ \t]*<!--\s*(?:end\s+)?generated\b[^>]*-->[ \t]*$", re.M)
_NAME = re.compile(r"[A-Za-z0-9_.-]+")


class DocBlockError(ValueError):
    """A malformed or unknown generated block (names the document and the line)."""


@dataclass(frozen=True)
class Block:
    """One generated block.

    Attributes
    ----------
    name : str
        The name after ``generated:`` (a batch name).
    options : dict of str to str
        The ``key=value`` options of the start marker.
    line : int
        The start marker's line number (1-based), for messages.
    body_start, body_end : int
        Character offsets of the block's body in the text: after the start marker's line
        and before the end marker.
    """

    name: str
    options: dict[str, str]
    line: int
    body_start: int
    body_end: int


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _parse_spec(spec: str, where: str) -> tuple[str, dict[str, str]]:
    parts = spec.split()
    if not parts or not _NAME.fullmatch(parts[0]):
        raise DocBlockError(f"{where}: a generated block needs a name (letters, digits, _.-): "
                            f"<!-- generated: NAME [key=value ...] -->, got {spec!r}")
    options = {}
    for p in parts[1:]:
        key, eq, value = p.partition("=")
        if not eq or not key or not value:
            raise DocBlockError(f"{where}: option {p!r} of block {parts[0]!r} is not key=value")
        options[key] = value
    return parts[0], options


def find_blocks(text: str, source: str = "document") -> list[Block]:
    """The generated blocks of ``text``, in order.

    Raises
    ------
    DocBlockError
        A start marker without a name or with a malformed option, a block not closed before
        the next start marker or the end of the text, an end marker without a start, or a
        malformed marker (naming ``source`` and the line).
    """
    blocks: list[Block] = []
    open_: tuple[re.Match, str, dict[str, str]] | None = None
    for m in _ANY.finditer(text):
        where = f"{source}, line {_line(text, m.start())}"
        marker = m.group(0).strip()
        start, end = _START.fullmatch(marker), _END.fullmatch(marker)
        if start is not None:
            if open_ is not None:
                raise DocBlockError(f"{where}: block {open_[1]!r} (line {_line(text, open_[0].start())}) is not "
                                    f"closed with {END_MARKER} before the next block starts")
            name, options = _parse_spec(start.group("spec"), where)
            open_ = (m, name, options)
        elif end is not None:
            if open_ is None:
                raise DocBlockError(f"{where}: {END_MARKER} without a <!-- generated: NAME --> before it")
            sm, name, options = open_
            body_start = text.find("\n", sm.end())
            body_start = m.start() if body_start < 0 or body_start > m.start() else body_start + 1
            blocks.append(Block(name, options, _line(text, sm.start()), body_start, m.start()))
            open_ = None
        else:
            raise DocBlockError(f"{where}: malformed marker {marker!r}; allowed: "
                                f"<!-- generated: NAME [key=value ...] --> and {END_MARKER}")
    if open_ is not None:
        raise DocBlockError(f"{source}, line {_line(text, open_[0].start())}: block {open_[1]!r} is not closed "
                            f"with {END_MARKER}")
    return blocks


def replace_blocks(text: str, render: dict[str, Callable[[Block], str]], source: str = "document") -> str:
    """``text`` with each generated block's body replaced by ``render[block.name](block)``
    (a trailing newline added if missing); the markers and everything outside the blocks
    are kept byte for byte.

    Raises
    ------
    DocBlockError
        A malformed block (:func:`find_blocks`), or a block whose name is not in ``render``
        (naming it, its line and the names allowed).
    """
    blocks = find_blocks(text, source)
    for b in blocks:
        if b.name not in render:
            raise DocBlockError(f"{source}, line {b.line}: unknown generated block {b.name!r}; allowed: "
                                + (", ".join(sorted(render)) or "none"))
    out, pos = [], 0
    for b in blocks:
        body = render[b.name](b)
        if body and not body.endswith("\n"):
            body += "\n"
        out += [text[pos:b.body_start], body]
        pos = b.body_end
    out.append(text[pos:])
    return "".join(out)
