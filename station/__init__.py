"""The station: its services, the use cases every front-end drives, the wiring and the command.

Where a change goes:
- **Use cases**, written once and driven by the console, the kiosk and the command line alike:
  ``enrollment`` (an officer enrolling one application), ``verification`` (the 1:1 identity
  check at the kiosk or the counter), ``checkin`` (application numbers from QR codes) and
  ``calibration`` (the technician's camera and sensor procedures, with report and audit).
- **Services** of one station (``station.Station`` opens them together): ``audit`` (the
  hash-chained log), ``officers`` (accounts and roles), ``outbox`` (records until the central
  record acknowledges them), ``applications`` (today's appointments and the offline cache),
  ``keys`` and ``central_link`` (registration, signing, delivery), ``storage`` (the local
  SQLite files and sealing at rest), ``settings`` and ``logs``.
- **Wiring**: ``wiring`` opens the station, its devices, the embedded central record and the
  matching workers for a window; ``embedded_central`` is the single-office central record.
- **The command**: ``cli`` and its ``*_commands`` modules parse arguments, call the use cases
  and print JSON on stdout, sentences on stderr. ``evaluation`` and ``bench`` are ``make eval``
  and ``biostation bench``.

Below it: ``enrollment`` (flows as state machines, records, packets), ``matching``,
``drivers``, ``calibration``; the bottom package ``domain`` (catalog, errors, shared types).
Only ``gui`` sits above it.
"""
