"""The biometric core: arrays in, arrays and plain data out. No Qt, no devices, no network.

``fingerprint/`` (image → minutiae → MCC template → score, 1:N search; its tuned constants in
``fingerprint/parameters.py``), ``face/`` (detection, landmarks, ICAO checks, embeddings,
liveness; ``face/parameters.py``), ``evaluation/`` (the FVC and LFW protocols, metrics, plots)
and ``workers`` (the processes that run the heavy parts beside a window).
"""
