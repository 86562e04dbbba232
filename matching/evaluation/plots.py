"""DET and ROC plots (matplotlib, no display)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .metrics import rate_curve  # noqa: E402


def det_plot(curves: dict[str, tuple[np.ndarray, np.ndarray]], out: Path, title: str) -> Path:
    """FNMR against FMR on log axes, one line per set."""
    fig, ax = plt.subplots(figsize=(6.4, 5.2), dpi=110)
    floor = 1e-4
    ax.set_prop_cycle(color=plt.get_cmap("tab20").colors)
    for name, (genuine, impostor) in curves.items():
        if len(genuine) == 0 or len(impostor) == 0:
            continue
        c = rate_curve(genuine, impostor)
        ax.plot(np.maximum(c.fmr, floor), np.maximum(c.fnmr, floor), label=name, lw=1.4)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(floor, 1)
    ax.set_ylim(floor * 10, 1)
    ax.plot([floor, 1], [floor, 1], color="grey", lw=0.6, ls=":")
    ax.set_xlabel("false match rate (FMR)")
    ax.set_ylabel("false non-match rate (FNMR)")
    ax.set_title(title)
    ax.grid(True, which="both", lw=0.3, alpha=0.5)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out
