"""The dlib models, loaded once per process from the installed ``face-recognition-models``.

Nothing is downloaded: the package ships the HOG-free model files, and the HOG
detector is built into dlib. Loading the ResNet takes a moment, so it is lazy.
"""

from __future__ import annotations

from functools import cache

import dlib
import face_recognition_models as frm


@cache
def hog_detector():
    return dlib.get_frontal_face_detector()


@cache
def shape_predictor_68():
    return dlib.shape_predictor(frm.pose_predictor_model_location())


@cache
def face_encoder():
    return dlib.face_recognition_model_v1(frm.face_recognition_model_location())
