"""PySide6 only: the officer console, the kiosk, the calibration tool and their shared widgets.

The windows show and forward; what happens is the station's use cases' (``station.enrollment``,
``station.verification``, ``station.checkin``, ``station.calibration``). Slow work reaches them
through ``jobs`` (device I/O on pool threads, matching in worker processes), so the GUI thread
never waits. Texts come from the one catalog (``domain.catalog``) through ``i18n.Language``.
"""
