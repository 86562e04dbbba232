"""Composition root of the Biostation: settings, wiring and the `biostation` command."""
