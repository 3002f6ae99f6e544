"""Draw a :class:`~sim.validation.result.Plot` to a small PNG with matplotlib (Agg)."""

from __future__ import annotations

from pathlib import Path

from .result import Plot

__all__ = ["save_plot"]


def save_plot(plot: Plot, path: str | Path, *, dpi: int = 80) -> Path:
    """Write ``plot`` as a PNG (about 6.4 x 4 inches at ``dpi``) and return its path.

    Raises
    ------
    OSError
        If the file cannot be written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    markers = iter("osD^v<>ph*xX+")
    for c in plot.curves:
        if c.style == "line":
            ax.plot(c.x, c.y, "-", lw=1.6, label=c.label)
        elif c.style == "steps":
            ax.step(c.x, c.y, where="mid", lw=1.2, label=c.label)
        elif c.style == "bars":
            width = (c.x[1] - c.x[0]) * 0.9 if c.x.size > 1 else 1.0
            ax.bar(c.x, c.y, width=width, alpha=0.45, label=c.label)
        else:
            ax.errorbar(c.x, c.y, yerr=c.err, fmt=next(markers, "o"), ms=4, capsize=2, lw=1,
                        label=c.label)
    for x, label in plot.vlines:
        ax.axvline(x, color="grey", ls=":", lw=1)
        ax.annotate(label, (x, 0.97), xycoords=("data", "axes fraction"), ha="right", va="top",
                    fontsize=8, color="grey", xytext=(-3, 0), textcoords="offset points")
    if plot.xticks:
        ax.set_xticks(plot.xticks)
    if plot.logy:
        ax.set_yscale("log")
    ax.set_title(plot.title, fontsize=9)
    ax.set_xlabel(plot.xlabel)
    ax.set_ylabel(plot.ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
