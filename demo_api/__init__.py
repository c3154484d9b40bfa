"""A built-in, standard-library-only demo of the Perform & Engage 365 REST API.

Runs standalone (``python -m demo_api``) or in a daemon thread inside the Django
process (:func:`start_demo_server`). It must never import Django or third-party packages.
See :mod:`demo_api.server` for the endpoints and the fault kinds.
"""

from .server import DEMO_API_KEY, DEMO_USERNAME, DemoServer, start_demo_server

__all__ = ["DEMO_API_KEY", "DEMO_USERNAME", "DemoServer", "start_demo_server"]
