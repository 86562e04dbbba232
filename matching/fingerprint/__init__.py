"""Fingerprint core: images to minutiae, templates, comparison scores and 1:N search."""
