"""Evaluation on the standard protocols (FVC for fingers, LFW for faces)."""
