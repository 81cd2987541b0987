"""No request to the integration API gets a 500: schemathesis drives the served OpenAPI document.

The document is fetched from /api/v1/_openapi as a signed-in Ministry user would; every
integration operation then receives generated requests (bodies that fit the schema, and
bodies that do not) as an authorised storefront client. Bounded examples keep the run
well under a minute.
"""

from __future__ import annotations

import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from .api_support import build_api_world, headers
from .conftest import create_user, login

EXAMPLES = 30
_keys = itertools.count(1)


@pytest.fixture(scope="module")
def served_schema(app):
    create_user(app, "fuzz.doc", "Ministère")
    browser = app.test_client()
    login(browser, "fuzz.doc")
    document = browser.get("/api/v1/_openapi").get_json()
    schema = schemathesis.openapi.from_dict(document).include(path_regex="^/api/v1/integration/")
    schema.app = app
    return schema


def _operations(schema):
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_request_gets_a_server_error(app, served_schema, mode):
    world = build_api_world(app)
    operations = _operations(served_schema)
    assert {op.method.upper() + " " + op.path for op in operations} >= {
        "POST /api/v1/integration/orders",
        "POST /api/v1/integration/quotes",
        "GET /api/v1/integration/orders/{order_id}",
        "POST /api/v1/integration/orders/{order_id}/payments",
        "POST /api/v1/integration/orders/{order_id}/status",
        "POST /api/v1/integration/orders/{order_id}/returns",
    }
    seen: dict[str, set[int]] = {}
    for operation in operations:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case):
            token_headers = headers(world.storefront_token)
            if case.method.upper() != "GET" and next(_keys) % 3:
                token_headers["Idempotency-Key"] = f"fuzz-{next(_keys)}"  # else the generated one
            response = case.call(headers=token_headers)
            seen.setdefault(case.operation.label, set()).add(response.status_code)
            assert response.status_code < 500, (case.as_curl_command(), response.text[:500])
            if response.status_code >= 400 and response.status_code != 405:
                errors = response.json().get("errors")
                assert errors, (case.as_curl_command(), response.status_code, response.text[:300])
                assert all({"field", "value", "message"} <= set(e) for e in errors)

        check()
    assert len(seen) == len(operations)
