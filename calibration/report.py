"""The calibration report: one HTML page per calibration, plots inline, pass/fail per check.

Technicians print or archive it; an auditor reads which camera, which profile id, what
was measured and whether each figure met its limit. A PDF is written beside it when a
converter (wkhtmltopdf or a headless Chromium) is installed.
"""

from __future__ import annotations

import base64
import html
import io
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .geometry import REGIONS, GeometryResult  # noqa: E402


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def reprojection_plot(result: GeometryResult) -> str:
    used = [v for v in result.per_view if v.get("used")]
    fig, ax = plt.subplots(figsize=(7, 2.8))
    ax.bar(range(len(used)), [v["rms_px"] for v in used], color="#3a7bd5")
    ax.axhline(result.rms_px, color="k", ls="--", lw=1, label=f"overall {result.rms_px:.3f} px")
    ax.set_xticks(range(len(used)), [v["name"] for v in used], rotation=60, fontsize=7)
    ax.set_ylabel("RMS reprojection error (px)")
    ax.legend()
    return _png(fig)


def coverage_plot(result: GeometryResult) -> str:
    fig, ax = plt.subplots(figsize=(4, 2.6))
    im = ax.imshow(result.coverage * 100, cmap="viridis", vmin=0)
    for i, name in enumerate(REGIONS):
        r, c = divmod(i, 3)
        ax.text(c, r, f"{name}\n{result.coverage[r, c]:.0%}", ha="center", va="center", fontsize=7,
                color="w" if result.coverage[r, c] < result.coverage.max() / 2 else "k")
    ax.set_xticks([])
    ax.set_yticks([])
    fig.colorbar(im, ax=ax, label="% of corners")
    return _png(fig)


def mtf_plot(frequencies: np.ndarray, mtf: np.ndarray, mtf50: float) -> str:
    fig, ax = plt.subplots(figsize=(5, 2.8))
    ax.plot(frequencies, mtf, color="#d5573a")
    ax.axhline(0.5, color="grey", lw=0.8)
    ax.axvline(mtf50, color="k", ls="--", lw=1, label=f"MTF50 = {mtf50:.3f} cycles/px")
    ax.set_xlabel("spatial frequency (cycles/pixel)")
    ax.set_ylabel("MTF")
    ax.set_xlim(0, 0.6)
    ax.legend()
    return _png(fig)


def patches_plot(before: np.ndarray, after: np.ndarray, reference: np.ndarray) -> str:
    fig, axes = plt.subplots(1, 3, figsize=(8, 2.2))
    for ax, colours, title in zip(axes, (before, after, reference), ("measured", "corrected", "reference"),
                                  strict=True):
        ax.imshow(np.clip(colours.reshape(4, 6, 3), 0, 1), interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    return _png(fig)


def write_report(path: Path, title: str, profile_id: str | None, checks: list[dict], figures: list[tuple[str, str]],
                 details: dict) -> list[Path]:
    """checks: {name, value, limit, passed}; figures: (caption, data URI). Returns the files written."""
    rows = "".join(
        f"<tr class={'pass' if c['passed'] else 'fail'}><td>{html.escape(c['name'])}</td>"
        f"<td>{html.escape(str(c['value']))}</td><td>{html.escape(str(c['limit']))}</td>"
        f"<td>{'PASS' if c['passed'] else 'FAIL'}</td></tr>" for c in checks)
    plots = "".join(f"<figure><img src='{uri}'><figcaption>{html.escape(caption)}</figcaption></figure>"
                    for caption, uri in figures)
    body = f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:60em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px}}tr.pass td:last-child{{color:#17702e;font-weight:bold}}
tr.fail td:last-child{{color:#b3261e;font-weight:bold}}figure{{margin:1em 0}}pre{{background:#f4f4f4;padding:1em}}
</style></head><body><h1>{html.escape(title)}</h1>
<p>Profile <b>{html.escape(profile_id or '-')}</b> · {datetime.now(UTC):%Y-%m-%d %H:%M UTC}</p>
<table><tr><th>check</th><th>measured</th><th>limit</th><th>result</th></tr>{rows}</table>
{plots}<h2>Details</h2><pre>{html.escape(_pretty(details))}</pre></body></html>"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    written = [path]
    pdf = _to_pdf(path)
    if pdf is not None:
        written.append(pdf)
    return written


def _pretty(details: dict) -> str:
    import json

    return json.dumps(details, indent=1, ensure_ascii=False, default=str)


def _to_pdf(page: Path) -> Path | None:
    out = page.with_suffix(".pdf")
    if shutil.which("wkhtmltopdf"):
        command = ["wkhtmltopdf", "--quiet", str(page), str(out)]
    else:
        browser = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
        if browser is None:
            return None
        command = [browser, "--headless", "--disable-gpu", f"--print-to-pdf={out}", page.as_uri()]
    try:
        subprocess.run(command, check=True, timeout=60, capture_output=True)
    except (subprocess.SubprocessError, OSError):
        return None
    return out if out.exists() else None
