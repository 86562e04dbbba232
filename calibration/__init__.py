"""Camera and fingerprint-sensor calibration procedures, the profiles they produce, their reports (no Qt).

``camera_procedure`` runs the camera's steps: lens geometry (``geometry``), sharpness as MTF50
(``sharpness``), colour correction with CIEDE2000 (``colour``), light and pixels per millimetre
at the capture position (``scene``); ``sensor`` checks a fingerprint sensor; ``profile`` saves
what every later capture applies; ``report`` writes the HTML report with plots; ``synthetic``
renders boards and charts for tests. The technician's use case that drives them, with audit, is
``station.calibration``.
"""
