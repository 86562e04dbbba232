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
    return _save(fig, ax, title, "lower left", out)


def roc_plot(genuine_distances: np.ndarray, impostor_distances: np.ndarray, threshold: float,
             out: Path, title: str) -> Path:
    """True-accept rate against false-accept rate (log x), with the station's threshold marked."""
    c = rate_curve(-np.asarray(genuine_distances), -np.asarray(impostor_distances))
    fig, ax = plt.subplots(figsize=(6.4, 5.2), dpi=110)
    floor = 1e-4
    ax.plot(np.maximum(c.fmr, floor), 1 - c.fnmr, lw=1.6, label="LFW pairs")
    far = float((np.asarray(impostor_distances) <= threshold).mean())
    tar = float((np.asarray(genuine_distances) <= threshold).mean())
    ax.plot([max(far, floor)], [tar], "o", color="crimson",
            label=f"station threshold {threshold:.2f}: TAR {tar:.3f}, FAR {far:.4f}")
    ax.set_xscale("log")
    ax.set_xlim(floor, 1)
    ax.set_ylim(0.8, 1.0)
    ax.set_xlabel("false accept rate (FAR)")
    ax.set_ylabel("true accept rate (TAR)")
    return _save(fig, ax, title, "lower right", out)


def _save(fig, ax, title: str, legend_at: str, out: Path) -> Path:
    ax.set_title(title)
    ax.grid(True, which="both", lw=0.3, alpha=0.5)
    ax.legend(fontsize=7, loc=legend_at)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out
