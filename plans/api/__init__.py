"""The Perform & Engage 365 API client, one concern a module:

- `transport`: one GET within the page's deadline and size cap, retried by urllib3 (the
  only module that imports `requests`);
- `caching`: the per-request memo, the shared cache and single flight;
- `client`: the `Client` bound to one dashboard request (`client_for`) and its budget;
- `pages`: every page of a list, read at once;
- `paths`: the API's paths and how an id goes into one;
- `results`: the dataclasses views receive; `reader`: JSON into those dataclasses;
- `clock`: the time all of them read.

The use cases (`plan_list`, `plan_get`, …) are in `plans.services`.
"""

from plans.api.client import Client, client_for, release_client

__all__ = ["Client", "client_for", "release_client"]
