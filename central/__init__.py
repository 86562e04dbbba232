"""The central application record: the service that receives, stores and serves enrollment records.

``wire`` is the packet and request-signing format the station's submitter shares; ``db`` the
tables (their history in ``migrations``, Alembic); ``store`` the operations on them (applications,
appointments, stations, records, feedback); ``service`` the HTTP API (``biostation central serve``);
``duplicates`` the 1:N check of each new record against everyone enrolled. It imports only
``matching`` and ``domain`` of ours.
"""
