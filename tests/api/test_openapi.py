"""schemathesis against the server's own OpenAPI document: generated requests to every
endpoint; no answer is a server error, and every answer has a documented status, content type
and the documented schema. Bounded (a few examples per operation), so it runs in seconds.

The operations are read from the running server and each is driven with its hypothesis
strategy here (schemathesis's pytest plugin, `from_fixture`, does not run under this pytest)."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

#: Generated cases per operation: enough to reach every parameter, few enough for seconds.
EXAMPLES = 10
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def test_every_answer_as_documented(api_url: str) -> None:
    schema = schemathesis.openapi.from_url(f"{api_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} >= {
        "POST /match/{dataset}", "GET /search", "GET /search/{dataset}",
        "GET /entities/{entity_id}", "GET /healthz", "GET /readyz", "GET /portfolios",
        "GET /portfolios/{name}/alerts", "POST /portfolios/{name}/monitor"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def answers_as_documented(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS)

        answers_as_documented()
