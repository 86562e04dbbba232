"""Camera geometry: intrinsics and lens distortion from checkerboard views.

Stages, each with one job: find the board's inner corners in every view (OpenCV's
sector-based detector, sub-pixel accurate) → reject views that are unreadable or from
another camera → fit each candidate distortion model → keep the model that predicts
*held-out* views best (a model with more coefficients always fits the views it saw
better; only one that predicts unseen views is worth having) → drop views whose
reprojection error stands out and refit → say which parts of the image no view covered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from matching.images import ImageTooLarge, read_image

from .errors import CalibrationError

MIN_VIEWS = 8
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
COMMON_BOARDS = ((9, 6), (8, 6), (7, 5), (6, 4), (10, 7), (8, 5), (11, 8), (7, 6))
MODELS = {
    # name: OpenCV flags; each adds coefficients to the one before
    "radial2": cv2.CALIB_FIX_K3 | cv2.CALIB_ZERO_TANGENT_DIST,
    "radial2+tangential": cv2.CALIB_FIX_K3,
    "radial3+tangential": 0,
    "rational": cv2.CALIB_RATIONAL_MODEL,
}
REGIONS = ("top-left", "top", "top-right", "left", "centre", "right", "bottom-left", "bottom", "bottom-right")


@dataclass(frozen=True)
class View:
    name: str
    corners: np.ndarray  # (N, 2) pixels


@dataclass
class GeometryResult:
    camera_matrix: np.ndarray
    dist_coeffs: np.ndarray
    rms_px: float
    image_size: tuple[int, int]
    model: str
    per_view: list[dict]  # name, rms_px, used, reason
    model_scores: dict[str, float]  # held-out RMS per candidate model
    coverage: np.ndarray  # 3×3 share of corners per region
    uncovered: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"camera_matrix": np.round(self.camera_matrix, 4).tolist(),
                "dist_coeffs": np.round(self.dist_coeffs.ravel(), 6).tolist(),
                "rms_px": round(self.rms_px, 4), "image_size": list(self.image_size), "model": self.model,
                "model_heldout_rms_px": {k: round(v, 4) for k, v in self.model_scores.items()},
                "views": self.per_view, "uncovered": self.uncovered,
                "coverage": np.round(self.coverage, 3).tolist()}


def parse_board(text: str) -> tuple[int, int]:
    try:
        cols, rows = (int(v) for v in text.lower().split("x"))
    except ValueError as exc:
        raise CalibrationError("calibration.bad_board", board=text) from exc
    if cols < 3 or rows < 3:
        raise CalibrationError("calibration.bad_board", board=text)
    return cols, rows


def find_corners(gray: np.ndarray, board: tuple[int, int]) -> np.ndarray | None:
    flags = cv2.CALIB_CB_EXHAUSTIVE | cv2.CALIB_CB_ACCURACY | cv2.CALIB_CB_NORMALIZE_IMAGE
    found, corners = cv2.findChessboardCornersSB(gray, board, flags=flags)
    return corners.reshape(-1, 2).astype(np.float64) if found else None


def guess_board(gray: np.ndarray) -> tuple[int, int] | None:
    """Which common board a view shows, to tell a technician who typed the wrong size."""
    small = cv2.resize(gray, None, fx=0.5, fy=0.5) if gray.shape[1] > 1000 else gray
    for board in COMMON_BOARDS:
        if cv2.findChessboardCornersSB(small, board)[0]:
            return board
    return None


def load_views(folder: Path, board: tuple[int, int]) -> tuple[list[View], list[dict], tuple[int, int]]:
    """Corners of every view that shows the whole board; the others listed with the reason."""
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES) if folder.is_dir() else []
    if not paths:
        raise CalibrationError("calibration.no_images", folder=str(folder))
    sizes: dict[tuple[int, int], list[str]] = {}
    views, rejected = [], []
    images = {}
    for path in paths:
        try:  # the header first: a 31 KB PNG may declare 16000×16000 pixels (matching.images)
            gray = read_image(path, "calibration", cv2.IMREAD_GRAYSCALE)
        except ImageTooLarge as exc:
            raise CalibrationError(exc.message_id, **exc.params) from exc
        if gray is None:
            rejected.append({"name": path.name, "used": False, "reason": "unreadable"})
            continue
        images[path.name] = gray
        sizes.setdefault((gray.shape[1], gray.shape[0]), []).append(path.name)
    if not images:  # nothing to look for a board in: say which files, not "capture 8 more views"
        raise CalibrationError("calibration.all_unreadable", count=len(paths), folder=str(folder),
                               names=", ".join(p.name for p in paths))
    if len(sizes) > 1:
        listing = "; ".join(f"{w}x{h}: {', '.join(names[:3])}" for (w, h), names in sizes.items())
        raise CalibrationError("calibration.mixed_sizes", sizes=listing)
    for name, gray in images.items():
        corners = find_corners(gray, board)
        if corners is None:
            rejected.append({"name": name, "used": False, "reason": "board_not_found"})
        else:
            views.append(View(name, corners))
    missed = [r["name"] for r in rejected if r["reason"] == "board_not_found"]
    if images and len(missed) * 2 >= len(images):  # most views miss the board: is it another size?
        guess = guess_board(images[missed[0]])
        if guess is not None and guess != board:
            raise CalibrationError("calibration.wrong_board", board=f"{board[0]}x{board[1]}",
                                   seen=f"{guess[0]}x{guess[1]}")
    if not views and images:
        raise CalibrationError("calibration.board_not_found", board=f"{board[0]}x{board[1]}", count=len(images))
    size = next(iter(sizes)) if sizes else (0, 0)
    return views, rejected, size


def object_points(board: tuple[int, int], square_mm: float) -> np.ndarray:
    grid = np.mgrid[0 : board[0], 0 : board[1]].T.reshape(-1, 2) * square_mm
    return np.column_stack([grid, np.zeros(len(grid))]).astype(np.float32)


def _calibrate(views: list[View], obj: np.ndarray, size: tuple[int, int], flags: int):
    image_points = [v.corners.astype(np.float32).reshape(-1, 1, 2) for v in views]
    rms, k, d, rvecs, tvecs = cv2.calibrateCamera([obj] * len(views), image_points, size, None, None,
                                                  flags=flags)
    return rms, k, d, rvecs, tvecs


def view_errors(views: list[View], obj: np.ndarray, k, d, rvecs, tvecs) -> np.ndarray:
    out = []
    for v, r, t in zip(views, rvecs, tvecs, strict=True):
        proj, _ = cv2.projectPoints(obj, r, t, k, d)
        out.append(float(np.sqrt(np.mean(np.sum((proj.reshape(-1, 2) - v.corners) ** 2, axis=1)))))
    return np.asarray(out)


def heldout_rms(views: list[View], obj: np.ndarray, size: tuple[int, int], flags: int, folds: int = 4) -> float:
    """RMS reprojection error on views left out of the fit (pose from PnP with the fitted intrinsics)."""
    index = np.arange(len(views))
    errors = []
    for fold in range(folds):
        test = index[index % folds == fold]
        train = [views[i] for i in index if i % folds != fold]
        _, k, d, _, _ = _calibrate(train, obj, size, flags)
        for i in test:
            ok, r, t = cv2.solvePnP(obj, views[i].corners.astype(np.float32), k, d, flags=cv2.SOLVEPNP_ITERATIVE)
            proj, _ = cv2.projectPoints(obj, r, t, k, d)
            errors.append(np.sum((proj.reshape(-1, 2) - views[i].corners) ** 2, axis=1))
    return float(np.sqrt(np.mean(np.concatenate(errors))))


def coverage(views: list[View], size: tuple[int, int]) -> np.ndarray:
    """Share of all corners in each third of the image (3×3)."""
    w, h = size
    counts = np.zeros((3, 3))
    for v in views:
        cx = np.clip((v.corners[:, 0] / w * 3).astype(int), 0, 2)
        cy = np.clip((v.corners[:, 1] / h * 3).astype(int), 0, 2)
        np.add.at(counts, (cy, cx), 1)
    return counts / max(1.0, counts.sum())


def calibrate_views(views: list[View], rejected: list[dict], size: tuple[int, int], board: tuple[int, int],
                    square_mm: float, outlier_factor: float = 3.0) -> GeometryResult:
    obj = object_points(board, square_mm)
    if len(views) < MIN_VIEWS:
        cov = coverage(views, size) if views else np.zeros((3, 3))
        raise CalibrationError("calibration.too_few_views", found=len(views), needed=MIN_VIEWS,
                               more=MIN_VIEWS - len(views), regions=", ".join(_uncovered(cov)) or "centre")
    # outliers first, with the plainest model (a bad view must not choose the model)
    _, k, d, rvecs, tvecs = _calibrate(views, obj, size, MODELS["radial2+tangential"])
    errs = view_errors(views, obj, k, d, rvecs, tvecs)
    limit = max(outlier_factor * float(np.median(errs)), 0.5)
    kept = [v for v, e in zip(views, errs, strict=True) if e <= limit]
    dropped = [{"name": v.name, "used": False, "reason": "outlier", "rms_px": round(float(e), 4)}
               for v, e in zip(views, errs, strict=True) if e > limit]
    if len(kept) < MIN_VIEWS:
        raise CalibrationError("calibration.too_few_views", found=len(kept), needed=MIN_VIEWS,
                               more=MIN_VIEWS - len(kept), regions=", ".join(_uncovered(coverage(kept, size))))
    scores = {name: heldout_rms(kept, obj, size, flags) for name, flags in MODELS.items()}
    best = min(scores.values())
    # the simplest model within 2 % of the best held-out error: more coefficients must earn their place
    model = next(name for name in MODELS if scores[name] <= best * 1.02)
    rms, k, d, rvecs, tvecs = _calibrate(kept, obj, size, MODELS[model])
    errs = view_errors(kept, obj, k, d, rvecs, tvecs)
    per_view = [{"name": v.name, "used": True, "rms_px": round(float(e), 4)} for v, e in zip(kept, errs, strict=True)]
    cov = coverage(kept, size)
    return GeometryResult(k, d.ravel(), float(rms), size, model, per_view + dropped + rejected, scores, cov,
                          _uncovered(cov))


def _uncovered(cov: np.ndarray, minimum: float = 0.03) -> list[str]:
    return [REGIONS[i] for i, share in enumerate(cov.ravel()) if share < minimum]


def calibrate_folder(folder: Path, board: tuple[int, int], square_mm: float) -> GeometryResult:
    if square_mm <= 0:
        raise CalibrationError("calibration.bad_square", value=square_mm)
    views, rejected, size = load_views(folder, board)
    return calibrate_views(views, rejected, size, board, square_mm)


def undistortion_displacement(k: np.ndarray, d: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Where each distorted pixel belongs in the ideal image, minus where it is (pixels)."""
    criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 100, 1e-12)
    ideal = cv2.undistortPoints(points.reshape(-1, 1, 2).astype(np.float64), k, d, None, None, k, criteria)
    return ideal.reshape(-1, 2) - points.reshape(-1, 2)


def central_grid(size: tuple[int, int], share: float = 0.75, step: int = 10) -> np.ndarray:
    w, h = size
    x0, y0 = w * (1 - share) / 2, h * (1 - share) / 2
    xs, ys = np.arange(x0, w - x0 + 1, step), np.arange(y0, h - y0 + 1, step)
    return np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2)
