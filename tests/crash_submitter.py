"""Run as ``python -m tests.crash_submitter FINGERS APPLICATION_JSON COUNT``: seal COUNT records into the outbox.

The crash test kills this process at random moments, as a power cut would hit a station
finishing enrollments.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from enrollment.synthetic import sample_record
from station.settings import load_settings
from station.station import Station


def main() -> None:
    folder, application, count = Path(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
    with Station(load_settings()) as station:
        for i in range(count):
            station.submit(sample_record(application, station.registration.station_id, folder, seed=i))
            print("sealed", flush=True)


if __name__ == "__main__":
    main()
