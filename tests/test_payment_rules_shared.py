"""One owner for the rules of a payment: the integration API and the payments importer refuse the
same payment with the same message and collect the same tax (console.services.payments)."""

from __future__ import annotations

import pytest

from console.models.imports import ImportOutcome

from . import test_integration_api as integration_api
from .api_support import headers
from .import_support import fingerprint, run_as
from .test_integration_api import API, create, errors, post

HEADING = "Référence du paiement;Référence de commande;Date de paiement;Montant;Mode de paiement\n"
PAID_AT = "2026-12-02T09:00:00+02:00"  # after the sale (SALE_TIME), Bujumbura time
PAID_ON = "02/12/2026 09:00"  # the same moment, as a file writes it
# Four near-equal parts of the 11 545 FBu order (tax 1 270): rounding each part on its own
# would collect 317 × 3 + 318 = 1 269 FBu; the one rule collects exactly 1 270.
PARTS = (2886, 2886, 2886, 2887)


# The API tests' world (sellers, products, a storefront client) and client, rebuilt for this module.
world = integration_api.world
api = integration_api.api


def _imported(app, rows: list[str]):
    return run_as(app, "payments", HEADING + "".join(f"{row}\n" for row in rows))


def _refused_by_both(app, api, world, order, amount: int, paid_at: str, paid_on: str):
    """The API's answer and the importer's error for the same payment of the same order."""
    answer = post(
        api,
        f"{API}/orders/{order['id']}/payments",
        world.storefront_token,
        {"amount": amount, "method": "especes", "paid_at": paid_at},
    )
    before = fingerprint(app)
    result = _imported(
        app, [f"REF-{order['id']}-{amount};{order['reference']};{paid_on};{amount};Espèces"]
    )
    assert result.outcome == ImportOutcome.REJECTED
    assert fingerprint(app) == before
    return answer, result.errors


def test_an_overpayment_is_refused_by_the_api_and_the_importer_with_the_same_message(
    app, api, world
):
    order = create(api, world)
    answer, imported = _refused_by_both(app, api, world, order, 11546, PAID_AT, PAID_ON)
    assert answer.status_code == 422
    assert [(e.column, e.message) for e in imported] == [("Montant", errors(answer)["amount"])]
    assert "dépasse le reste à payer" in imported[0].message


@pytest.mark.parametrize(
    ("paid_at", "paid_on", "says"),
    [
        ("2026-12-01T09:00:00+02:00", "01/12/2026 09:00", "précède la date de la commande"),
        ("2099-01-01T09:00:00+02:00", "01/01/2099 09:00", "dans le futur"),
    ],
    ids=["before-the-order", "in-the-future"],
)
def test_a_payment_date_is_refused_by_both_with_the_same_message(
    app, api, world, paid_at, paid_on, says
):
    order = create(api, world)
    answer, imported = _refused_by_both(app, api, world, order, 100, paid_at, paid_on)
    assert answer.status_code == 422
    assert [(e.column, e.message) for e in imported] == [
        ("Date de paiement", errors(answer)["paid_at"])
    ]
    assert says in imported[0].message


def test_a_cancelled_order_is_refused_by_both_with_the_same_message(app, api, world):
    order = create(api, world)
    cancelled = post(
        api, f"{API}/orders/{order['id']}/status", world.storefront_token, {"status": "annulee"}
    )
    assert cancelled.status_code == 200, cancelled.get_json()
    answer, imported = _refused_by_both(app, api, world, order, 100, PAID_AT, PAID_ON)
    assert answer.status_code == 409
    assert [(e.column, e.message) for e in imported] == [
        ("Référence de commande", errors(answer)["order"])
    ]


def test_the_api_and_the_importer_collect_the_same_tax_and_settle_the_order(app, api, world):
    by_api, by_file = create(api, world), create(api, world)
    assert (by_api["amount_due"], by_file["amount_due"]) == (11545, 11545)
    for amount in PARTS:
        answer = post(
            api,
            f"{API}/orders/{by_api['id']}/payments",
            world.storefront_token,
            {"amount": amount, "method": "lumicash", "paid_at": PAID_AT},
        )
        assert answer.status_code == 201, answer.get_json()
    # The file pays the same parts in two imports, so stored payments and the file's rows both count.
    rows = [
        f"LUMI-{by_file['id']}-{n};{by_file['reference']};{PAID_ON};{amount};Lumicash"
        for n, amount in enumerate(PARTS)
    ]
    first = _imported(app, rows[:1])
    assert first.outcome == ImportOutcome.APPLIED, [e.message for e in first.errors]
    rest = _imported(app, rows)  # the first row again (unchanged), then the three others
    assert (rest.outcome, rest.created, rest.unchanged) == (ImportOutcome.APPLIED, 3, 1)

    paid_by_api = api.get(
        f"{API}/orders/{by_api['id']}", headers=headers(world.storefront_token)
    ).get_json()
    paid_by_file = api.get(
        f"{API}/orders/{by_file['id']}", headers=headers(world.storefront_token)
    ).get_json()
    taxes = [p["tax_amount"] for p in paid_by_api["payments"]]
    assert [p["tax_amount"] for p in paid_by_file["payments"]] == taxes
    assert sum(taxes) == by_api["totals"]["tax"] == 1270
    assert [p["method"] for p in paid_by_file["payments"]] == [
        p["method"] for p in paid_by_api["payments"]
    ]
    assert (paid_by_api["status"], paid_by_file["status"]) == ("paid", "paid")


def test_goods_returned_lower_what_both_accept_and_a_return_takes_no_payment(app, api, world):
    order = create(api, world)
    returned = post(
        api,
        f"{API}/orders/{order['id']}/returns",
        world.storefront_token,
        {"returned_at": "2026-12-02T08:00:00+02:00", "lines": [{"line_no": 1, "quantity": 1}]},
    )
    assert returned.status_code == 201, returned.get_json()
    due = api.get(
        f"{API}/orders/{order['id']}", headers=headers(world.storefront_token)
    ).get_json()["amount_due"]
    assert due < 11545
    answer, imported = _refused_by_both(app, api, world, order, 11545, PAID_AT, PAID_ON)
    assert answer.status_code == 422
    assert [(e.column, e.message) for e in imported] == [("Montant", errors(answer)["amount"])]
    the_return = returned.get_json()  # the return is an order of its own, with its reference
    answer, imported = _refused_by_both(app, api, world, the_return, 100, PAID_AT, PAID_ON)
    assert answer.status_code == 409  # and nothing is due on a return: both say so too
    messages = sorted(e.message for e in imported)
    assert messages == sorted(e["message"] for e in answer.get_json()["errors"])
    assert any("retour de marchandises" in message for message in messages)
