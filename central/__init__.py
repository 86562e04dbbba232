"""The central application record: the service that receives, stores and serves enrollment records.

``wire`` is the packet and request-signing format the station's submitter shares; ``db`` the
tables (their history in ``migrations``, Alembic); ``store`` the operations on them (applications,
appointments, stations, records, feedback); ``service`` the HTTP API (``biostation central serve``);
``identification`` the 1:N search of each new record against everyone enrolled, ``adjudication``
the queue of what it flags and the decisions, ``staff`` the accounts that decide, ``versions`` the
1:1 check of a re-enrollment against the record it would replace; ``keys`` the keys kept outside
the database and the envelope the biometric files are stored in; ``http_guard`` the deadlines and
connection cap ``central serve`` holds clients to. It imports only
``matching`` and ``domain`` of ours.
"""
