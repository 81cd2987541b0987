"""The integration API: stamped sales, payments, statuses, returns, idempotency, refusals, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from console import models as m
from console.services.periods import BUJUMBURA

from .api_support import build_api_world, count, headers

API = "/api/v1/integration"
SALE_TIME = "2026-12-02T00:30:00+02:00"  # 22:30 UTC on 1 December: the Bujumbura day is the 2nd


@pytest.fixture(scope="module")
def world(app):
    return build_api_world(app)


@pytest.fixture
def api(app):
    return app.test_client()


def order_body(world, **changes):
    body = {
        "seller_id": world.seller_id,
        "placed_at": SALE_TIME,
        "prices_include_tax": False,
        "lines": [
            {"product_id": world.soap_id, "quantity": 3, "unit_price": 1000, "amount": 3000},
            {"product_id": world.beans_id, "quantity": "2.5", "unit_price": 2900},
            {"product_id": world.soap_id, "quantity": 1, "unit_price": 25},
        ],
    }
    body.update(changes)
    return body


_keys = iter(range(1, 10**6))


def post(api, url, token, body, key: str | None = "auto"):
    key = f"k-{next(_keys)}" if key == "auto" else key
    return api.post(url, json=body, headers=headers(token, key))


def create(api, world, token=None, **changes):
    response = post(
        api, f"{API}/orders", token or world.storefront_token, order_body(world, **changes)
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def errors(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.get_json()["errors"]}


def test_a_quote_stamps_the_lines_and_writes_nothing(app, api, world):
    before = count(app, m.Order), count(app, m.OrderLine)
    response = post(api, f"{API}/quotes", world.tablet_token, order_body(world), key=None)
    assert response.status_code == 200, response.get_json()
    quote = response.get_json()
    # 3 000 × 18 % = 540; 7 250 × 10 % = 725; 25 × 18 % = 4,5 → 5 (half-up)
    assert [(li["net"], li["tax"], li["gross"], li["rate"]) for li in quote["lines"]] == [
        (3000, 540, 3540, "0.1800"),
        (7250, 725, 7975, "0.1000"),
        (25, 5, 30, "0.1800"),
    ]
    assert [li["rule_code"][:6] for li in quote["lines"]] == ["TVA-18", "TVA-10", "TVA-18"]
    assert quote["totals"] == {"net": 10275, "tax": 1270, "gross": 11545}
    assert quote["sale_day"] == "2026-12-02"
    assert (count(app, m.Order), count(app, m.OrderLine)) == before


def test_an_order_is_answered_as_stored_and_read_back_the_same(app, api, world):
    created = create(api, world)
    assert created["reference"].startswith("API-") and created["status"] == "placed"
    assert created["totals"] == {"net": 10275, "tax": 1270, "gross": 11545}
    from console.extensions import db

    with app.app_context():
        stored = db.session.get(m.Order, created["id"])
        assert [(li.net, li.tax, li.gross) for li in stored.lines] == [
            (li["net"], li["tax"], li["gross"]) for li in created["lines"]
        ]
        assert stored.placed_at == dt.datetime(2026, 12, 1, 22, 30, tzinfo=dt.UTC)
        assert stored.api_client_id == world.storefront_client_id
    read = api.get(
        f"{API}/orders/{created['id']}", headers=headers(world.storefront_token)
    ).get_json()
    assert read == created  # the answer is built from the rows written, without a read


@pytest.mark.parametrize(
    "changes",
    [
        {"placed_at": "2026-12-02T00:30:00.123456+02:00"},
        {
            "seller_id": "other",  # not VAT-registered: no rule, a note
            "lines": [{"product_id": "other", "quantity": "0.125", "unit_price": 3999}],
            "prices_include_tax": True,
            "buyer": {"name": "Hôtel du Lac", "kind": "entreprise"},
            "payment_method": "mobile_money",
        },
    ],
)
def test_any_new_order_answers_exactly_what_a_read_returns(app, api, world, changes):
    if changes.get("seller_id") == "other":
        changes = changes | {
            "seller_id": world.other_seller_id,
            "lines": [changes["lines"][0] | {"product_id": world.other_product_id}],
        }
    created = create(api, world, **changes)
    read = api.get(f"{API}/orders/{created['id']}", headers=headers(world.storefront_token))
    assert read.get_json() == created


def test_lines_by_listing_take_its_product_and_are_refused_when_not_the_sellers(app, api, world):
    from console.extensions import db

    with app.app_context():
        listings = [
            m.Listing(
                product_id=product,
                cooperative_id=seller,
                quantity_offered=100,
                unit_price=1000,
                listed_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
                closed_at=closed,
            )
            for product, seller, closed in (
                (world.soap_id, world.seller_id, None),
                (world.beans_id, world.seller_id, dt.datetime(2026, 11, 2, tzinfo=dt.UTC)),
                (world.other_product_id, world.other_seller_id, None),
            )
        ]
        db.session.add_all(listings)
        db.session.commit()
        soap, closed, elsewhere = (listing.id for listing in listings)
    line = {"quantity": 2, "unit_price": 1000}
    created = create(
        api, world, lines=[line | {"listing_id": soap}, line | {"product_id": world.beans_id}]
    )
    assert [(li["listing_id"], li["product_id"]) for li in created["lines"]] == [
        (soap, world.soap_id),
        (None, world.beans_id),
    ]
    assert [li["tax"] for li in created["lines"]] == [360, 200]  # soap 18 %, beans 10 %
    read = api.get(f"{API}/orders/{created['id']}", headers=headers(world.storefront_token))
    assert read.get_json() == created
    orders = count(app, m.Order)
    refused = post(
        api,
        f"{API}/orders",
        world.storefront_token,
        order_body(
            world,
            lines=[
                line | {"listing_id": soap, "product_id": world.beans_id},
                line | {"listing_id": closed},
                line | {"listing_id": elsewhere},
            ],
        ),
    )
    assert refused.status_code == 422
    assert set(errors(refused)) == {
        "lines.0.product_id",
        "lines.1.listing_id",
        "lines.2.listing_id",
    }
    assert count(app, m.Order) == orders


def test_the_same_key_and_body_replays_the_first_answer_and_writes_once(app, api, world):
    body = order_body(world)
    first = post(api, f"{API}/orders", world.storefront_token, body, key="commande-42")
    orders = count(app, m.Order)
    again = post(api, f"{API}/orders", world.storefront_token, body, key="commande-42")
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(app, m.Order) == orders
    other = post(
        api,
        f"{API}/orders",
        world.storefront_token,
        order_body(world, is_export=True),
        key="commande-42",
    )
    assert other.status_code == 409
    assert "autre requête" in errors(other)["Idempotency-Key"]
    assert count(app, m.Order) == orders


def test_the_same_key_of_another_client_is_another_operation(app, api, world):
    body = order_body(world)
    a = post(api, f"{API}/orders", world.storefront_token, body, key="partagee")
    b = post(api, f"{API}/orders", world.tablet_token, body, key="partagee")
    assert a.status_code == b.status_code == 201 and a.get_json()["id"] != b.get_json()["id"]


def test_writes_need_an_idempotency_key(api, world):
    response = post(api, f"{API}/orders", world.storefront_token, order_body(world), key=None)
    assert response.status_code == 400 and "Idempotency-Key" in errors(response)


def test_a_tablet_writes_only_for_its_own_cooperative(app, api, world):
    before = count(app, m.Order)
    response = post(
        api,
        f"{API}/orders",
        world.tablet_token,
        order_body(
            world,
            seller_id=world.other_seller_id,
            lines=[{"product_id": world.other_product_id, "quantity": 1, "unit_price": 100}],
        ),
    )
    assert response.status_code == 403
    assert "propre coopérative" in errors(response)["seller_id"]
    assert count(app, m.Order) == before


def test_no_client_reads_another_clients_order(api, world):
    created = create(api, world, token=world.tablet_token)
    response = api.get(f"{API}/orders/{created['id']}", headers=headers(world.storefront_token))
    assert response.status_code == 404


@pytest.mark.parametrize(
    "changes, field, words",
    [
        ({"colour": "bleu"}, "colour", "Champ inconnu"),
        ({"seller_id": "12"}, "seller_id", "entier"),
        ({"placed_at": "hier"}, "placed_at", "ISO 8601"),
        ({"lines": []}, "lines", "éléments"),
        (
            {"lines": [{"product_id": 1, "quantity": 1, "unit_price": 1.5}]},
            "lines.0.unit_price",
            "entier",
        ),
        (
            {"lines": [{"product_id": 1, "quantity": -2, "unit_price": 10}]},
            "lines.0.quantity",
            "Quantité",
        ),
        (
            {"lines": [{"product_id": 1, "quantity": 1, "unit_price": 10, "discount": 1}]},
            "lines.0.discount",
            "Champ inconnu",
        ),
    ],
)
def test_malformed_bodies_are_refused_field_by_field_in_french(
    app, api, world, changes, field, words
):
    before = count(app, m.Order)
    response = post(api, f"{API}/orders", world.storefront_token, order_body(world, **changes))
    assert response.status_code == 422, response.get_json()
    assert words in errors(response)[field]
    assert count(app, m.Order) == before


def test_business_refusals_name_the_field_and_the_value(app, api, world):
    future = (dt.datetime.now(BUJUMBURA) + dt.timedelta(days=1)).isoformat()
    cases = [
        (order_body(world, placed_at=future), 422, "placed_at", "futur"),
        (
            order_body(
                world,
                lines=[
                    {"product_id": world.soap_id, "quantity": 3, "unit_price": 1000, "amount": 3001}
                ],
            ),
            422,
            "lines.0.amount",
            "3000 F attendus",
        ),
        (order_body(world, seller_id=999_999), 404, "seller_id", "inconnu"),
        (
            order_body(
                world,
                lines=[{"product_id": world.other_product_id, "quantity": 1, "unit_price": 5}],
            ),
            422,
            "lines.0.product_id",
            "Produit inconnu",
        ),
    ]
    for body, status, field, words in cases:
        response = post(api, f"{API}/orders", world.storefront_token, body)
        assert response.status_code == status, (field, response.get_json())
        [error] = [e for e in response.get_json()["errors"] if e["field"] == field]
        assert words in error["message"] and "value" in error


def test_an_inactive_seller_is_refused(app, api, world):
    from console.extensions import db

    with app.app_context():
        db.session.get(m.Cooperative, world.other_seller_id).status = m.CooperativeStatus.SUSPENDED
        db.session.commit()
    try:
        response = post(
            api,
            f"{API}/orders",
            world.storefront_token,
            order_body(
                world,
                seller_id=world.other_seller_id,
                lines=[{"product_id": world.other_product_id, "quantity": 1, "unit_price": 100}],
            ),
        )
        assert response.status_code == 422 and "pas actif" in errors(response)["seller_id"]
    finally:
        with app.app_context():
            db.session.get(m.Cooperative, world.other_seller_id).status = m.CooperativeStatus.ACTIVE
            db.session.commit()


def test_bodies_over_the_limit_and_unreadable_json_are_refused(app, api, world):
    big = order_body(world, buyer={"name": "x" * (app.config["API_MAX_BODY_BYTES"] + 10)})
    assert post(api, f"{API}/orders", world.storefront_token, big).status_code == 413
    response = api.post(
        f"{API}/orders",
        data=b"{not json",
        content_type="application/json",
        headers=headers(world.storefront_token, "illisible"),
    )
    assert response.status_code == 400 and errors(response)["body"] == "Corps JSON illisible."


def test_payments_are_refused_beyond_what_is_due_and_settle_the_order(app, api, world):
    order = create(api, world)
    url = f"{API}/orders/{order['id']}/payments"
    paid_at = "2026-12-02T09:00:00+02:00"
    over = post(
        api,
        url,
        world.storefront_token,
        {"amount": 11546, "method": "mobile_money", "paid_at": paid_at},
    )
    assert over.status_code == 422 and "dépasse le reste à payer" in errors(over)["amount"]
    first = post(
        api,
        url,
        world.storefront_token,
        {
            "amount": 5000,
            "method": "lumicash",
            "paid_at": paid_at,
            "reference": f"LUMI-{order['id']}",
        },
    )
    assert first.status_code == 201, first.get_json()
    settled = post(
        api, url, world.storefront_token, {"amount": 6545, "method": "especes", "paid_at": paid_at}
    )
    body = settled.get_json()
    assert body["status"] == "paid" and body["paid"] == 11545 == body["amount_due"]
    # The tax collected is the order's tax, split in proportion: exactly 1 270 in total.
    assert sum(p["tax_amount"] for p in body["payments"]) == 1270
    assert [p["method"] for p in body["payments"]] == ["mobile_money", "especes"]


def test_a_cancelled_order_takes_no_payment_and_cannot_be_delivered(app, api, world):
    order = create(api, world)
    status_url = f"{API}/orders/{order['id']}/status"
    assert (
        post(api, status_url, world.storefront_token, {"status": "annulee"}).get_json()["status"]
        == "cancelled"
    )
    payment = post(
        api,
        f"{API}/orders/{order['id']}/payments",
        world.storefront_token,
        {"amount": 100, "method": "especes", "paid_at": "2026-12-02T09:00:00+02:00"},
    )
    assert payment.status_code == 409 and "annulée" in errors(payment)["order"]
    delivered = post(api, status_url, world.storefront_token, {"status": "livree"})
    assert delivered.status_code == 409 and "ne peut passer" in errors(delivered)["status"]


def test_a_return_carries_the_negative_of_the_stamp_never_recomputed(app, api, world):
    from console.extensions import db

    order = create(api, world)
    with app.app_context():  # the standard rate changes after the sale: the return ignores it
        rule = db.session.scalars(select(m.TaxRule).where(m.TaxRule.code == "TVA-18")).one()
        rate = rule.rate
        rule.rate = rate + 2
        db.session.commit()
    try:
        url = f"{API}/orders/{order['id']}/returns"
        returned_at = "2026-12-03T10:00:00+02:00"
        part = post(
            api,
            url,
            world.storefront_token,
            {"returned_at": returned_at, "lines": [{"line_no": 1, "quantity": 1}]},
        ).get_json()
        assert [(li["net"], li["tax"], li["gross"], li["quantity"]) for li in part["lines"]] == [
            (-1000, -180, -1180, "-1.000")
        ]
        rest = post(
            api,
            url,
            world.storefront_token,
            {
                "returned_at": returned_at,
                "lines": [{"line_no": 1, "quantity": 2}, {"line_no": 3, "quantity": 1}],
            },
        ).get_json()
        # The whole of line 1 and line 3 came back: their stamps and returns sum to zero.
        assert [(li["tax"], li["returns_line_no"]) for li in rest["lines"]] == [(-360, 1), (-5, 3)]
        too_much = post(
            api,
            url,
            world.storefront_token,
            {"returned_at": returned_at, "lines": [{"line_no": 1, "quantity": 1}]},
        )
        assert (
            too_much.status_code == 422
            and "plus que la quantité" in errors(too_much)["lines.0.quantity"]
        )
        read = api.get(
            f"{API}/orders/{order['id']}", headers=headers(world.storefront_token)
        ).get_json()
        assert [r["reference"] for r in read["returns"]] == [
            order["reference"] + "-R1",
            order["reference"] + "-R2",
        ]
        assert read["amount_due"] == 11545 - 1180 - 2360 - 30
    finally:
        with app.app_context():
            db.session.scalars(
                select(m.TaxRule).where(m.TaxRule.code == "TVA-18")
            ).one().rate = rate
            db.session.commit()


def test_a_return_nets_its_tax_in_the_sums_but_is_not_another_order(app, api, world):
    from console.extensions import db
    from console.security.scoping import NATIONAL
    from console.services.facts import refresh_facts
    from console.services.key_figures import key_figures

    def figures() -> tuple[int, int, int, int, int]:
        with app.app_context():
            refresh_facts(db.session)
            db.session.commit()
            orders, tax, gross = db.session.execute(
                select(
                    func.sum(m.SalesDayFact.order_count),
                    func.sum(m.SalesDayFact.tax),
                    func.sum(m.SalesDayFact.gross),
                ).where(m.SalesDayFact.seller_id == world.seller_id)
            ).one()
            home = key_figures(db.session, NATIONAL, dt.date(2026, 12, 3))
            return (
                int(orders),
                int(tax),
                int(gross),
                home.orders_this_month,
                home.tax_due_this_month,
            )

    order = create(api, world)
    before = figures()
    returned = post(
        api,
        f"{API}/orders/{order['id']}/returns",
        world.storefront_token,
        {"returned_at": "2026-12-03T10:00:00+02:00", "lines": [{"line_no": 1, "quantity": 1}]},
    ).get_json()
    after = figures()
    tax, gross = returned["totals"]["tax"], returned["totals"]["gross"]
    assert (tax, gross) == (-180, -1180)
    # Dashboards and home page: the same number of orders, the return's amounts netted.
    assert after == (before[0], before[1] + tax, before[2] + gross, before[3], before[4] + tax)


def test_a_tablet_reported_stolen_is_refused_at_its_next_call(app, api):
    from console.extensions import db
    from console.security.scoping import NATIONAL
    from console.services.inventory import ReportIncident

    world = build_api_world(app)
    assert create(api, world, token=world.tablet_token)["status"] == "placed"
    with app.app_context():
        ReportIncident(
            db.session,
            NATIONAL,
            device_id=world.device_id,
            kind="stolen",
            occurred_on=dt.date.today(),
            reported_by="Coordinateur",
        ).run()
        db.session.commit()
        client = db.session.get(m.ApiClient, world.tablet_client_id)
        assert client.state == m.ApiClientState.REVOKED and "volée" in client.revoked_reason
        assignment = db.session.scalars(
            select(m.DeviceAssignment).where(m.DeviceAssignment.device_id == world.device_id)
        ).one()
        assert "Accès à l'API révoqué" in assignment.note  # printed on the hand-over receipt
    refused = post(api, f"{API}/orders", world.tablet_token, order_body(world))
    assert refused.status_code == 401 and "révoqué" in errors(refused)["Authorization"]


def test_a_transfer_revokes_the_tablet_client_and_the_receipt_says_so(app, api):
    from console.extensions import db
    from console.security.scoping import NATIONAL
    from console.services.inventory import TransferDevice, handover_receipt

    world = build_api_world(app)
    with app.app_context():
        old = db.session.scalars(
            select(m.DeviceAssignment).where(m.DeviceAssignment.device_id == world.device_id)
        ).one()
        new = TransferDevice(
            db.session,
            NATIONAL,
            assignment_id=old.id,
            cooperative_id=world.other_seller_id,
            received_by="Secrétaire",
            condition="good",
        ).run()
        db.session.commit()
        receipt = handover_receipt(db.session, new.id, NATIONAL)
        assert "Accès à l'API révoqué" in receipt.note
    assert (
        post(api, f"{API}/quotes", world.tablet_token, order_body(world), key=None).status_code
        == 401
    )


def test_unknown_tokens_are_refused_and_every_call_is_audited(app, api, world):
    assert api.get(f"{API}/orders/1").status_code == 401
    assert (
        api.get(f"{API}/orders/1", headers={"Authorization": "Bearer isk_nope.nope"}).status_code
        == 401
    )
    post(api, f"{API}/orders", world.storefront_token, order_body(world), key="audit-1")
    post(api, f"{API}/orders", world.storefront_token, order_body(world), key="audit-1")
    from console.extensions import db

    with app.app_context():
        calls = db.session.scalars(
            select(m.ApiCall).where(m.ApiCall.idempotency_key == "audit-1").order_by(m.ApiCall.id)
        ).all()
        assert [(c.client_id, c.status, c.outcome) for c in calls] == [
            (world.storefront_client_id, 201, "ok"),
            (world.storefront_client_id, 201, "rejoué"),
        ]
        assert calls[0].order_id is not None
        anonymous = db.session.scalar(
            select(func.count()).where(m.ApiCall.client_id.is_(None), m.ApiCall.status == 401)
        )
        assert anonymous >= 2
        assert db.session.get(m.ApiClient, world.storefront_client_id).last_used_at is not None


def test_api_writes_reach_the_aggregates_as_a_full_rebuild_would(app, api, world):
    from console.extensions import db
    from console.services.facts import refresh_facts
    from console.services.facts_pending import refresh_pending_facts

    with app.app_context():
        refresh_facts(db.session)
        db.session.commit()
    order = create(api, world, placed_at="2026-11-20T10:00:00+02:00")
    post(
        api,
        f"{API}/orders/{order['id']}/payments",
        world.storefront_token,
        {"amount": 11545, "method": "banque", "paid_at": "2026-11-21T10:00:00+02:00"},
    )
    post(
        api,
        f"{API}/orders/{order['id']}/returns",
        world.storefront_token,
        {"returned_at": "2026-11-25T10:00:00+02:00", "lines": [{"line_no": 2, "quantity": 1}]},
    )

    def snapshot():
        rows = db.session.execute(
            select(
                m.SalesDayFact.day,
                m.SalesDayFact.seller_id,
                m.SalesDayFact.category_id,
                m.SalesDayFact.tax_kind,
                m.SalesDayFact.net,
                m.SalesDayFact.tax,
                m.SalesDayFact.gross,
                m.SalesDayFact.order_count,
            )
        ).all()
        months = db.session.execute(
            select(
                m.SalesMonthFact.month,
                m.SalesMonthFact.seller_id,
                m.SalesMonthFact.tax,
                m.SalesMonthFact.gross,
            )
        ).all()
        payments = db.session.execute(
            select(
                m.PaymentMonthFact.month,
                m.PaymentMonthFact.seller_id,
                m.PaymentMonthFact.amount,
                m.PaymentMonthFact.tax_amount,
            )
        ).all()
        return sorted(map(tuple, rows)), sorted(map(tuple, months)), sorted(map(tuple, payments))

    with app.app_context():
        pending = {d for (d,) in db.session.execute(select(m.FactPendingDay.day))}
        assert dt.date(2026, 11, 20) in pending and dt.date(2026, 11, 25) in pending
        assert refresh_pending_facts(db.session) is not None
        db.session.commit()
        incremental = snapshot()
        assert db.session.scalar(select(func.count()).select_from(m.FactPendingDay)) == 0
        day_tax = db.session.scalar(
            select(func.sum(m.SalesDayFact.tax)).where(
                m.SalesDayFact.day == dt.date(2026, 11, 20),
                m.SalesDayFact.seller_id == world.seller_id,
            )
        )
        assert day_tax >= 1270
        refresh_facts(db.session)
        db.session.commit()
        assert snapshot() == incremental


def test_the_openapi_document_describes_every_integration_endpoint(app):
    from .conftest import create_user, login

    create_user(app, "api.doc", "Ministère")
    client = app.test_client()
    login(client, "api.doc")
    document = client.get("/api/v1/_openapi").get_json()
    paths = {p for p in document["paths"] if p.startswith(API)}
    assert paths == {
        f"{API}/quotes",
        f"{API}/orders",
        f"{API}/orders/{{order_id}}",
        f"{API}/orders/{{order_id}}/payments",
        f"{API}/orders/{{order_id}}/status",
        f"{API}/orders/{{order_id}}/returns",
    }
    create_op = document["paths"][f"{API}/orders"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in create_op["parameters"])
    assert create_op["security"] == [{"client_token": []}]
    order = document["components"]["schemas"]["Order"]
    assert "seller_id" in order["required"] and order["additionalProperties"] is False


def test_concurrent_retries_of_one_key_create_one_order(app, world):
    """Eight clients send the same order with the same key at once: one order, one answer."""
    from concurrent.futures import ThreadPoolExecutor

    body = order_body(world)
    before = count(app, m.Order)

    def send(_):
        response = app.test_client().post(
            f"{API}/orders", json=body, headers=headers(world.storefront_token, "course-1")
        )
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(8)))
    assert count(app, m.Order) == before + 1
    created = [body for status, body in answers if status == 201]
    # Every attempt got the order (first answer or its replay), or was told to retry (409).
    assert created and all(answer == created[0] for answer in created)
    assert all(status in (201, 409) for status, _ in answers)


def test_an_api_write_reaches_the_dashboards_without_anyone_refreshing(app, api, world):
    import time

    from console.extensions import db
    from console.services.facts import refresh_facts

    with app.app_context():
        refresh_facts(db.session)
        db.session.commit()
    app.config["FACTS_REFRESH_DELAY_S"] = 0.2
    try:
        create(api, world, placed_at="2026-10-05T10:00:00+02:00")
        deadline = time.monotonic() + 30
        tax = None
        while time.monotonic() < deadline:
            with app.app_context():
                tax = db.session.scalar(
                    select(func.sum(m.SalesDayFact.tax)).where(
                        m.SalesDayFact.day == dt.date(2026, 10, 5)
                    )
                )
                db.session.remove()
            if tax:
                break
            time.sleep(0.2)
        assert tax == 1270
    finally:
        app.config["FACTS_REFRESH_DELAY_S"] = None


def test_the_policy_table_decides_what_a_client_kind_may_call(api, world, monkeypatch):
    from console.security import policy

    monkeypatch.setitem(
        policy.CLIENT_POLICY, ("can_quote", "IntegrationApi"), frozenset({"vitrine"})
    )
    refused = post(api, f"{API}/quotes", world.tablet_token, order_body(world), key=None)
    assert refused.status_code == 403 and "n'a pas accès" in errors(refused)["Authorization"]
    assert (
        post(api, f"{API}/quotes", world.storefront_token, order_body(world), key=None).status_code
        == 200
    )


def give_the_seller_a_nif(app, world) -> None:
    """The world's first seller transmits to OBR: its sales are invoiced in the outbox."""
    from console.extensions import db

    with app.app_context():
        seller = db.session.get(m.Cooperative, world.seller_id)
        seller.nif = seller.nif or "4000123456"
        db.session.commit()


def test_an_api_sale_joins_the_ebms_outbox_and_its_cancellation_follows(app, api, world):
    """The invoice (FN) is written in the order's own transaction; a cancellation asks OBR to
    cancel it; an order of a seller without a NIF sends nothing."""
    from console.extensions import db
    from console.models.ebms import InvoiceMessage, MessageKind

    give_the_seller_a_nif(app, world)
    order = create(api, world)
    with app.app_context():
        messages = db.session.scalars(
            select(InvoiceMessage).where(InvoiceMessage.order_id == order["id"])
        ).all()
        assert [(msg.kind, msg.tax, msg.number) for msg in messages] == [
            (MessageKind.INVOICE, order["totals"]["tax"], order["reference"])
        ]
    status_url = f"{API}/orders/{order['id']}/status"
    assert post(api, status_url, world.storefront_token, {"status": "annulee"}).status_code == 200
    with app.app_context():
        kinds = db.session.scalars(
            select(InvoiceMessage.kind)
            .where(InvoiceMessage.order_id == order["id"])
            .order_by(InvoiceMessage.id)
        ).all()
        assert kinds == [MessageKind.INVOICE, MessageKind.CANCELLATION]
        seller = db.session.get(m.Cooperative, world.seller_id)
        seller.nif = None
        db.session.commit()
    unsent = create(api, world)
    with app.app_context():
        assert not db.session.scalar(
            select(func.count())
            .select_from(InvoiceMessage)
            .where(InvoiceMessage.order_id == unsent["id"])
        )


def test_an_api_order_is_audited_row_by_row_as_a_flush_would_audit_it(app, api, world):
    """The order, its lines and its eBMS message are written without the unit of work
    (console.services.row_inserts): each still has its insert event, attributed to the
    client, holding every column as stored (what the flush hooks write for a row)."""
    from console.extensions import db
    from console.models.audit import AuditEvent
    from console.models.ebms import InvoiceMessage
    from console.services.audit import _row_changes

    give_the_seller_a_nif(app, world)
    created = create(api, world)
    with app.app_context():
        order = db.session.get(m.Order, created["id"])
        message = db.session.scalars(
            select(InvoiceMessage).where(InvoiceMessage.order_id == order.id)
        ).one()
        rows = [order, *order.lines, message]
        events = {
            (e.table_name, e.row_id): e
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "insert")
            ).all()
        }
        client = db.session.get(m.ApiClient, world.storefront_client_id)
        for row in rows:
            event = events.get((row.__tablename__, row.id))
            assert event is not None, f"aucun événement pour {row.__tablename__} {row.id}"
            assert (event.username, event.source) == (f"api:{client.name}", "api")
            assert event.changes == _row_changes(row, "insert"), row.__tablename__
        assert len(order.lines) == len(created["lines"]) == 3
