"""Camera and fingerprint-sensor calibration: procedures, profiles, reports (no Qt)."""
