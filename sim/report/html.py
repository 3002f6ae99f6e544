"""The report as one self-contained HTML page: sections of text, tables and PNG
images embedded as base64 data URIs (the page opens anywhere, offline)."""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["Section", "render_page", "interval_cell", "figure_html", "table_html"]

_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 2em auto; max-width: 1400px; padding: 0 1.5em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.25em; margin-top: 2em;
     border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
table { border-collapse: collapse; font-size: 0.82em; margin: 0.8em 0; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.55em; text-align: right; white-space: nowrap; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
.scroll { overflow-x: auto; } figure { margin: 1em 0; } img { max-width: 100%; height: auto; }
figcaption { font-size: 0.85em; color: #555; } .meta { color: #555; font-size: 0.9em; }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: 0.4em 0.8em; }
pre { font-size: 0.8em; background: #f7f7f7; padding: 0.6em; overflow-x: auto; }
"""


@dataclass
class Section:
    """A titled part of the page; ``body`` is HTML (already escaped where needed)."""

    id: str
    title: str
    body: list[str] = field(default_factory=list)

    def add(self, fragment: str) -> None:
        """Append an HTML fragment as it is (the caller escapes what needs escaping)."""
        self.body.append(fragment)

    def text(self, text: str, css: str | None = None) -> None:
        """Append ``text``, HTML-escaped, as a paragraph, with class ``css`` if given (``note``
        styles a remark)."""
        cls = f' class="{css}"' if css else ""
        self.body.append(f"<p{cls}>{html.escape(text)}</p>")


def interval_cell(mean: float, lo: float, hi: float) -> str:
    """``mean [lo, hi]`` with 4 significant digits (``-`` for NaN)."""
    def f(x: float) -> str:
        if math.isnan(x):
            return "-"
        return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"
    return f(mean) if math.isnan(lo) else f"{f(mean)} [{f(lo)}, {f(hi)}]"


def table_html(df: pd.DataFrame, *, collapse_over: int = 40, summary: str = "table") -> str:
    """A DataFrame as an HTML table (escaped), folded into ``<details>`` when long."""
    body = df.to_html(index=False, escape=True, border=0, na_rep="-", float_format=lambda x: f"{x:.4g}")
    body = f'<div class="scroll">{body}</div>'
    if len(df) > collapse_over:
        return f"<details><summary>{html.escape(summary)} ({len(df)} rows)</summary>{body}</details>"
    return body


def figure_html(png: bytes, file_name: str, caption: str) -> str:
    """An embedded PNG with its caption (naming the PNG file written beside the page)."""
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(caption)}">'
            f"<figcaption>{html.escape(caption)} (<code>{html.escape(file_name)}</code>)</figcaption></figure>")


def render_page(title: str, meta: list[str], sections: list[Section]) -> str:
    """The complete HTML document."""
    toc = "".join(f'<li><a href="#{s.id}">{html.escape(s.title)}</a></li>' for s in sections)
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "".join(f'<p class="meta">{html.escape(m)}</p>' for m in meta),
        f"<ul>{toc}</ul>",
    ]
    for s in sections:
        parts.append(f'<section id="{s.id}"><h2>{html.escape(s.title)}</h2>{"".join(s.body)}</section>')
    parts.append("</body></html>\n")
    return "\n".join(parts)
