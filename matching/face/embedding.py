"""Landmarks and the 128-value dlib ResNet embedding of a face.

The descriptor of the mirrored face is averaged with the original's: the network
is not exactly symmetric, and the average is a steadier identity vector (measured
on LFW in docs/accuracy.md). dlib holds the GIL while it computes, so callers run
this in worker processes.
"""

from __future__ import annotations

from dataclasses import dataclass

import dlib
import numpy as np

from .detection import FaceBox
from .models import face_encoder, shape_predictor_68

# the 68-point model's index permutation under a horizontal flip
_MIRROR_68 = np.array(
    list(range(16, -1, -1)) + list(range(26, 16, -1)) + [27, 28, 29, 30] + [35, 34, 33, 32, 31]
    + [45, 44, 43, 42, 47, 46] + [39, 38, 37, 36, 41, 40]
    + [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55] + [64, 63, 62, 61, 60, 67, 66, 65]
)


@dataclass(frozen=True)
class FaceEncoding:
    landmarks: np.ndarray  # (68, 2) float, image pixels
    descriptor: np.ndarray  # (128,) float32
    box: FaceBox


def _rect(box: FaceBox) -> dlib.rectangle:
    return dlib.rectangle(int(box.left), int(box.top), int(box.right), int(box.bottom))


def landmarks(rgb: np.ndarray, box: FaceBox) -> np.ndarray:
    shape = shape_predictor_68()(rgb, _rect(box))
    return np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float64)


def encode(rgb: np.ndarray, box: FaceBox, mirror: bool = True, jitters: int = 0) -> FaceEncoding:
    predictor, encoder = shape_predictor_68(), face_encoder()
    shape = predictor(rgb, _rect(box))
    descriptor = np.array(encoder.compute_face_descriptor(rgb, shape, jitters), dtype=np.float32)
    if mirror:
        flipped = np.ascontiguousarray(rgb[:, ::-1])
        w = rgb.shape[1]
        fbox = dlib.rectangle(w - 1 - box.right, box.top, w - 1 - box.left, box.bottom)
        fshape = predictor(flipped, fbox)
        mirrored = np.array(encoder.compute_face_descriptor(flipped, fshape, jitters), dtype=np.float32)
        descriptor = (descriptor + mirrored) / 2
    points = np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float64)
    return FaceEncoding(points, descriptor, box)


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between descriptors: smaller is more alike."""
    return float(np.linalg.norm(np.asarray(a, np.float32) - np.asarray(b, np.float32)))
