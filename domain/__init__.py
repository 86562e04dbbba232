"""The bottom of the import graph: what every layer says and names the same way.

- ``catalog`` and ``messages/``: every text a person reads, in Bahasa Indonesia and English,
  rendered from message ids by the command line and the windows alike;
- ``errors``: ``BiostationError``, the one base class of every error a person reads;
- ``fingers``, ``applications``, ``accounts``: the domain types and rules every layer shares
  (ISO finger positions, application numbers and services, account names).

It imports nothing of the project's; every other package (``central`` too) may import it.
"""

from .catalog import LANGUAGES, render, render_error
from .errors import BiostationError
from .fingers import FingerPosition

__all__ = ["LANGUAGES", "BiostationError", "FingerPosition", "render", "render_error"]
