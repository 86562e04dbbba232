"""Matching in worker processes gives what the direct call gives, and the caller stays free."""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np
from skimage import data

from matching.face.detection import as_rgb, detect
from matching.face.embedding import encode
from matching.fingerprint.extractor import extract
from matching.workers import MatchingWorkers


def test_results_equal_the_direct_calls(synthetic_fingers):
    rgb = as_rgb(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    box = max(detect(rgb), key=lambda b: b.score)
    finger = cv2.imread(str(sorted(synthetic_fingers.glob("*.png"))[0]), cv2.IMREAD_GRAYSCALE)
    with MatchingWorkers(processes=1) as workers:
        face = workers.encode_face(rgb, box)
        template = workers.extract_fingerprint(finger)
        # while the worker computes, this thread keeps running: count its ticks
        ticks = 0
        while not (face.done() and template.done()):
            ticks += 1
            time.sleep(0.005)
        assert ticks > 0
        assert np.allclose(face.result(timeout=60).descriptor, encode(rgb, box).descriptor, atol=1e-5)
        assert template.result(timeout=60) == extract(finger)
        assert workers.detect_and_encode(np.zeros((200, 200, 3), np.uint8)).result(timeout=60) is None


def test_the_worker_does_not_hold_this_process_gil():
    rgb = as_rgb(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    stalls = []
    stop = threading.Event()

    def heartbeat():
        last = time.perf_counter()
        while not stop.is_set():
            time.sleep(0.01)
            now = time.perf_counter()
            stalls.append(now - last)
            last = now

    with MatchingWorkers(processes=1) as workers:
        workers.detect_and_encode(rgb).result(timeout=60)  # models loaded
        beat = threading.Thread(target=heartbeat)
        beat.start()
        for _ in range(3):
            workers.detect_and_encode(rgb).result(timeout=60)
        stop.set()
        beat.join()
    assert max(stalls) < 0.5  # generous for a loaded machine; dlib in-process stalls for longer
