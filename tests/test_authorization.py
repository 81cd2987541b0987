"""The authorization matrix: every registered endpoint, every role, against the policy.

Each role signs in through the real /login/ form and requests every route of the URL
map (GET; POST for POST-only routes; once per action for FAB's action routes). The
answer must be a denial exactly when console.security.policy says so. Denied: 401/403,
a redirect to the login page, FAB's "Access is Denied" flash, or 404. Allowed: anything
else; a 404 or an error counts as allowed only if the route's own permission check
(``sm.has_access`` on the endpoint's permission and resource) said yes, i.e. the
record was not found or the empty request was refused after the access check.

Routes added later (dashboards, reports, imports) are included automatically; a route
without a policy makes ``test_every_endpoint_has_a_policy`` fail with its name.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask_appbuilder.const import FLAMSG_ERR_SEC_ACCESS_DENIED
from flask_babel import force_locale

from console.security import policy
from console.security.endpoints import (
    ACTIONS,
    PUBLIC,
    SIGNED_IN,
    endpoint_requirements,
    undeclared_endpoints,
)

from .conftest import create_user, login
from .console_builders import build_province_world

ANONYMOUS = "anonyme"
USERNAMES = {
    policy.ADMIN: "matrix.admin",
    policy.MINISTRY: "matrix.ministere",
    policy.UNDP: "matrix.pnud",
    policy.COORDINATOR: "matrix.coord",
    policy.AUDITOR: "matrix.obr",
}
# Values for URL arguments that are not a row id of the view's model.
STATIC_FILES = {"static": "isoko/isoko.css", "appbuilder.static": "css/ab.css"}
ARGUMENTS = {"locale": "fr", "fmt": "xlsx", "group_by": "username", "filename": "absent.css"}
MISSING_ID = 987654321


@pytest.fixture(scope="module")
def world(app):
    built = build_province_world(app, "BI-GI")
    for role, username in USERNAMES.items():
        create_user(app, username, role, ["BI-GI"] if role == policy.COORDINATOR else None)
    return built


@pytest.fixture(scope="module")
def access_log(app):
    """Record every sm.has_access answer, so a 404 after a granted check reads as allowed."""
    sm = app.appbuilder.sm
    original = sm.has_access
    calls: list[tuple[str, str, bool]] = []

    def recording(permission_name, view_name):
        answer = original(permission_name, view_name)
        calls.append((permission_name, view_name, bool(answer)))
        return answer

    sm.has_access = recording
    yield calls
    sm.has_access = original


@pytest.fixture(scope="module")
def denied_messages(app):
    messages = {"Access is Denied"}
    with app.test_request_context():
        for locale in app.config["LANGUAGES"]:
            with force_locale(locale):
                messages.add(str(FLAMSG_ERR_SEC_ACCESS_DENIED))
    return messages


@dataclass
class Probe:
    """One request to try: which rule, how, and what the policy expects of it."""

    endpoint: str
    method: str
    url: str
    data: dict
    requirement: object
    action: str | None = None

    def label(self) -> str:
        suffix = f" [action {self.action}]" if self.action else ""
        return f"{self.method} {self.url} ({self.endpoint}{suffix})"


def _first_id(app, model) -> int | None:
    from console.extensions import db

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.min(model.id)))


def _argument(app, rule, name, requirement):
    if rule.endpoint in STATIC_FILES:
        return STATIC_FILES[rule.endpoint]
    if name in ARGUMENTS:
        return ARGUMENTS[name]
    if name == "pk":
        view = getattr(requirement, "view", None)
        model = getattr(getattr(view, "datamodel", None), "obj", None)
        if rule.endpoint.endswith(".delete") or model is None:
            return MISSING_ID  # never delete fixture rows: the access check runs first
        return _first_id(app, model) or MISSING_ID
    converter = rule._converters.get(name)
    return 1 if type(converter).__name__ in ("IntegerConverter", "NumberConverter") else "x"


def probes(app) -> list[Probe]:
    """Every rule of the URL map as requests to make."""
    requirements = endpoint_requirements(app)
    result = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
        requirement = requirements[rule.endpoint]
        methods = rule.methods - {"HEAD", "OPTIONS"}
        method = "GET" if "GET" in methods else sorted(methods)[0]
        names = [None]
        if requirement.kind == ACTIONS:
            # Actions are POSTed by FAB's pages (a GET is refused while CSRF is on).
            method, names = "POST", list(requirement.actions)
        for action in names:
            values = {
                arg: (action if arg == "name" else _argument(app, rule, arg, requirement))
                for arg in rule.arguments
            }
            url = rule.build(values, append_unknown=False)[1]
            data = {"action": action} if rule.endpoint.endswith(".action_post") else {}
            result.append(Probe(rule.endpoint, method, url, data, requirement, action))
    return result


def _outcome(client, probe: Probe, access_log, denied_messages) -> tuple[bool, str]:
    """(denied?, what happened) for one request."""
    access_log.clear()
    crashed = None
    try:
        # buffered: a streamed answer (CSV) is read and closed, releasing its connection
        response = client.open(probe.url, method=probe.method, data=probe.data, buffered=True)
        status, location = response.status_code, response.headers.get("Location", "")
    except Exception as exc:  # noqa: BLE001 - a crash is judged below, like a 500
        crashed, status, location = exc, 500, ""
    with client.session_transaction() as session:
        flashes = session.pop("_flashes", [])
    needed = set(probe.requirement.checks)
    if probe.action is not None:
        needed = {
            c
            for a, c in zip(probe.requirement.actions, probe.requirement.checks, strict=True)
            if a == probe.action
        }
    granted = any(answer for p, r, answer in access_log if (p, r) in needed)
    refused_flash = any(message in denied_messages for _c, message in flashes)
    if status in (401, 403) or refused_flash:
        return True, f"{status}"
    if status in (301, 302, 303) and "/login/" in location:
        return True, f"{status} → {location}"
    if status == 404 or status >= 500:
        detail = f"{status}{f' ({crashed!r})' if crashed else ''}"
        if probe.requirement.kind in (PUBLIC, SIGNED_IN):
            return status == 404, detail
        return not granted, detail + (" après accès accordé" if granted else "")
    return False, f"{status}"


def _mismatches(client, role, app, access_log, denied_messages) -> list[str]:
    problems = []
    for probe in probes(app):
        if role != ANONYMOUS and probe.endpoint == "AuthDBView.logout":
            continue  # would sign the client out; checked anonymously
        expected = (
            probe.requirement.kind == PUBLIC
            if role == ANONYMOUS
            else probe.requirement.allows(role, probe.action)
        )
        denied, detail = _outcome(client, probe, access_log, denied_messages)
        if denied == expected:
            verdict = (
                "autorisé par la politique mais refusé"
                if expected
                else "refusé par la politique mais servi"
            )
            problems.append(f"{probe.label()}: {verdict} ({detail})")
    return problems


def test_every_endpoint_has_a_policy(app):
    missing = undeclared_endpoints(app)
    assert not missing, "Routes sans politique d'accès :\n" + "\n".join(
        f"  {endpoint}: {problem}" for endpoint, problem in sorted(missing.items())
    )


@pytest.mark.parametrize("role", [*policy.ROLES, ANONYMOUS])
def test_each_role_gets_exactly_what_the_policy_allows(
    app, world, access_log, denied_messages, role
):
    client = app.test_client()
    if role != ANONYMOUS:
        page = login(client, USERNAMES[role]).get_data(as_text=True)
        assert "/logout/" in page, f"{role} could not sign in"
    problems = _mismatches(client, role, app, access_log, denied_messages)
    assert not problems, f"{role} : {len(problems)} écart(s) avec la politique :\n" + "\n".join(
        problems
    )


def test_audit_trail_has_no_route_that_writes(app):
    rules = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("AuditEventView.")
    }
    assert rules == {"AuditEventView.list", "AuditEventView.show", "AuditEventView.csv"}


def test_policy_refuses_audit_writes_even_to_admin():
    for permission in ("can_add", "can_edit", "can_delete"):
        assert not policy.allows(policy.ADMIN, permission, "AuditEventView")


def test_nobody_may_delete_marketplace_records(app):
    marketplace = {
        "OrderView",
        "OrderLineView",
        "PaymentView",
        "ListingView",
        "ProductView",
        "BuyerView",
    }
    writes = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in marketplace
        and rule.endpoint.split(".")[1] in {"add", "edit", "delete", "action", "action_post"}
    ]
    assert writes == []
    assert not any(
        policy.allows(role, "can_delete", view) for role in policy.ROLES for view in marketplace
    )


def test_init_roles_is_idempotent(app):
    from console.security.roles import sync_roles

    with app.app_context():
        first = {r.role: r.total for r in sync_roles(app.appbuilder)}
        second = sync_roles(app.appbuilder)
    assert {r.role: r.total for r in second} == first
    assert all(r.granted == 0 and r.revoked == 0 for r in second)


def test_security_screens_are_for_the_administrator_only():
    for resource in ("IsokoUserDBModelView", "ReadOnlyRoleModelView", "ResetPasswordView"):
        assert policy.allows(
            policy.ADMIN,
            "can_list" if resource != "ResetPasswordView" else "can_this_form_get",
            resource,
        )
        for role in policy.ROLES[1:]:
            assert not policy.allows(role, "can_list", resource)


def test_a_plain_route_without_policy_is_reported(app):
    from console.security.endpoints import requirement_for
    from console.security.guards import ROUTE_PERMISSIONS, require_permission

    @require_permission("can_read", "RapportInexistant")
    def unknown():  # pragma: no cover - never served
        return "x"

    app.view_functions["test.unknown"] = unknown
    try:
        problem = requirement_for(app, "test.unknown").problem
    finally:
        del app.view_functions["test.unknown"]
        ROUTE_PERMISSIONS.discard(("can_read", "RapportInexistant"))
    assert "RapportInexistant" in problem


def test_integration_endpoints_answer_api_clients_only(app, world):
    from console.security.endpoints import CLIENT

    requirements = endpoint_requirements(app)
    integration = {e: r for e, r in requirements.items() if e.startswith("IntegrationApi.")}
    assert set(integration) == {
        f"IntegrationApi.{name}"
        for name in (
            "quote",
            "create_order",
            "read_order",
            "record_payment",
            "change_status",
            "return_goods",
        )
    }
    for requirement in integration.values():
        assert requirement.kind == CLIENT and requirement.checks[0] in policy.CLIENT_POLICY
        assert not any(requirement.allows(role) for role in policy.ROLES)
    # A signed-in administrator is not an API client: the session opens no integration call.
    client = app.test_client()
    login(client, USERNAMES[policy.ADMIN])
    response = client.get("/api/v1/integration/orders/1")
    assert (
        response.status_code == 401 and response.get_json()["errors"][0]["field"] == "Authorization"
    )


def test_client_policy_names_the_kinds_that_may_call():
    assert policy.client_allows("tablette", "can_create", "IntegrationApi")
    assert not policy.client_allows("inconnu", "can_create", "IntegrationApi")
    assert not policy.client_allows("vitrine", "can_delete", "IntegrationApi")
