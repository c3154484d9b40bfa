"""The Perform & Engage 365 API client, one concern a module:

- `transport`: one GET within the request's budget, retries and status mapping (the only module
  that imports `requests`);
- `budget`: what one request may spend upstream (time, calls, the pause after a 429);
- `caching`: the per-request memo, the shared cache and single flight;
- `client`: the `Client` bound to one dashboard request (`client_for`);
- `paths`: the API's paths and how an id goes into one;
- `results`: the dataclasses views receive; `reader`: JSON into those dataclasses.

The use cases (`plan_list`, `plan_get`, …) are in `plans.services`.
"""

from plans.api.client import Client, client_for, release_client

__all__ = ["Client", "client_for", "release_client"]
