"""The HTTP API: screening one name at a time for systems that call it (`sanctions-graph
serve`). `POST /match/{dataset}` speaks yente's request and response shape, so a yente client
works unchanged; `/search/{dataset}`, `/entities/{id}` (with the ownership chain), `/healthz`,
`/readyz` and the OpenAPI document at `/openapi.json` beside it.

A layer over the Python API, like the CLI: it screens through `queries.screen` and answers
ownership through `queries.owner`, and knows nothing of loaders or of the load path.
"""

from __future__ import annotations

from api.app import create_app

__all__ = ["create_app"]
