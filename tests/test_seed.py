"""The demo data set: exact counts, determinism, integrity, the deliberate anomalies."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
import sqlalchemy as sa

from console.demo import SeedRefusedError, seed_demo
from console.demo.context import INTERVENTION_ZONE
from console.demo.seed import DEMO_TABLES
from console.services.periods import BUJUMBURA
from console.services.tax import engine as te

from .conftest import build_app, close_app, make_database_url, require_postgres

LINES = 3000
UNTIL = dt.date(2025, 12, 31)


def _seeded_app(backend, tmp_path_factory, seed=2023, lines=LINES, until=UNTIL):
    url = make_database_url(backend, tmp_path_factory)
    app = build_app(url)
    with app.app_context():
        from console.extensions import db

        summary = seed_demo(db, order_lines=lines, seed=seed, until=until)
    return app, url, summary


@pytest.fixture(scope="module")
def seeded(backend, tmp_path_factory):
    """One database seeded with 3 000 lines up to 31/12/2025."""
    app, url, summary = _seeded_app(backend, tmp_path_factory)
    yield app, summary
    close_app(app, url)


@pytest.fixture
def session(seeded):
    from console.extensions import db

    app, _summary = seeded
    with app.app_context():
        yield db.session
        db.session.rollback()


def q(session, sql: str, **params):
    return session.execute(sa.text(sql), params).all()


def scalar(session, sql: str, **params):
    return session.execute(sa.text(sql), params).scalar()


def checksums(app) -> dict[str, str]:
    """A digest of every demo table's rows, ids included, in primary-key order."""
    from console.extensions import db, metadata

    with app.app_context():
        out = {}
        for name in DEMO_TABLES:
            table = metadata.tables[name]
            rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
            out[name] = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
        return out


def counts(session) -> dict[str, int]:
    return {
        name: scalar(session, f'SELECT COUNT(*) FROM "{name}"')
        for name in [*DEMO_TABLES, "audit_event"]
    }


# Counts -------------------------------------------------------------------------------


def test_exactly_100_pioneers_spread_over_the_11_zone_provinces(session):
    zone = {
        r[0]
        for r in q(
            session, "SELECT code FROM province WHERE map_version = '2015' AND in_intervention_zone"
        )
    }
    assert zone == set(INTERVENTION_ZONE) and len(zone) == 11
    assert (
        scalar(
            session,
            "SELECT COUNT(*) FROM province WHERE map_version = '2025' AND in_intervention_zone",
        )
        == 0
    )
    pioneers = q(
        session,
        "SELECT p.code FROM cooperative c JOIN province p ON p.id = c.province_id WHERE c.is_pioneer",
    )
    assert len(pioneers) == 100
    assert {code for (code,) in pioneers} == zone


def test_sellers_are_cooperatives_and_entrepreneurs_with_valid_identifiers(session):
    kinds = dict(q(session, "SELECT seller_kind, COUNT(*) FROM cooperative GROUP BY seller_kind"))
    assert kinds == {"cooperative": 500, "entrepreneur": 100}
    assert scalar(session, "SELECT COUNT(DISTINCT registration_number) FROM cooperative") == 600
    nifs = [n for (n,) in q(session, "SELECT nif FROM cooperative WHERE nif IS NOT NULL")]
    assert len(nifs) == len(set(nifs)) > 450 and all(len(n) == 10 and n.isdigit() for n in nifs)
    vat = scalar(session, "SELECT COUNT(*) FROM cooperative WHERE vat_registered")
    assert 75 <= vat <= 105  # ~15 %
    assert (
        scalar(session, "SELECT COUNT(*) FROM cooperative WHERE vat_registered AND nif IS NULL")
        == 0
    )


def test_women_and_youth_never_exceed_members_and_cooperatives_have_at_least_ten(session):
    assert (
        scalar(
            session,
            "SELECT COUNT(*) FROM cooperative WHERE members_women > members_total "
            "OR members_youth > members_total",
        )
        == 0
    )
    assert (
        scalar(
            session, "SELECT MIN(members_total) FROM cooperative WHERE seller_kind = 'cooperative'"
        )
        >= 10
    )


def test_commune_belongs_to_the_sellers_former_province_and_its_2025_province(session):
    assert (
        scalar(
            session,
            """
        SELECT COUNT(*) FROM cooperative c JOIN commune m ON m.id = c.commune_id
        WHERE m.former_province_id <> c.province_id OR m.province_id <> c.province_2025_id""",
        )
        == 0
    )


def test_suspended_and_dissolved_sellers_carry_a_reason(session):
    statuses = dict(q(session, "SELECT status, COUNT(*) FROM cooperative GROUP BY status"))
    assert statuses["active"] > 550 and statuses["suspended"] > 0 and statuses["dissolved"] > 0
    assert (
        scalar(
            session,
            "SELECT COUNT(*) FROM cooperative WHERE status <> 'active' AND status_reason IS NULL",
        )
        == 0
    )


def test_order_lines_are_exactly_the_requested_number_in_orders_of_one_to_four(session, seeded):
    assert scalar(session, "SELECT COUNT(*) FROM order_line") == LINES
    sizes = {n for (n,) in q(session, "SELECT COUNT(*) FROM order_line GROUP BY order_id")}
    assert sizes <= {1, 2, 3, 4}
    first, last = q(session, "SELECT MIN(placed_at), MAX(placed_at) FROM sale_order")[0]
    assert first is not None and last is not None
    assert seeded[1].counts["order_line"] == LINES


def test_every_line_is_a_product_of_its_orders_seller(session):
    assert (
        scalar(
            session,
            """
        SELECT COUNT(*) FROM order_line l JOIN sale_order o ON o.id = l.order_id
        JOIN product p ON p.id = l.product_id WHERE p.cooperative_id <> o.seller_id""",
        )
        == 0
    )
    assert (
        scalar(
            session,
            """
        SELECT COUNT(*) FROM order_line l JOIN listing s ON s.id = l.listing_id
        WHERE s.product_id <> l.product_id""",
        )
        == 0
    )
    with_listing = scalar(session, "SELECT COUNT(*) FROM order_line WHERE listing_id IS NOT NULL")
    assert with_listing > 0.9 * LINES


# Pilot and inventory -------------------------------------------------------------------


def test_gitega_session_has_about_two_participants_per_pioneer_and_the_11_coordinators(session):
    place, starts, ends = q(session, "SELECT place, starts_on, ends_on FROM training_session")[0]
    assert (place, str(starts), str(ends)) == ("Gitega", "2023-06-26", "2023-06-30")
    assert scalar(session, "SELECT COUNT(*) FROM attendance WHERE cooperative_id IS NULL") == 11
    per_coop = (
        scalar(session, "SELECT COUNT(*) FROM attendance WHERE cooperative_id IS NOT NULL") / 100
    )
    assert 1.8 <= per_coop <= 2.2
    women = scalar(
        session, "SELECT AVG(CASE WHEN gender = 'F' THEN 1.0 ELSE 0 END) FROM attendance"
    )
    assert 0.33 <= float(women) <= 0.57


def test_enrollment_transitions_reproduce_each_path(session):
    statuses = Counter(
        dict(
            q(
                session,
                "SELECT status, COUNT(*) FROM enrollment WHERE cohort_id = 1 GROUP BY status",
            )
        )
    )
    assert sum(statuses.values()) == 100
    assert statuses["active"] > 70 and 2 <= statuses["withdrawn"] <= 3 and statuses["trained"] > 0
    path = defaultdict(list)
    for eid, before, after, by in q(
        session,
        "SELECT enrollment_id, from_status, to_status, by_username "
        "FROM enrollment_transition ORDER BY enrollment_id, at, id",
    ):
        path[eid].append((before, after))
        assert by == "système (démo)"
    for eid, status in q(session, "SELECT id, status FROM enrollment"):
        steps = path[eid]
        assert steps[0][0] is None and steps[-1][1] == status
        assert all(a[1] == b[0] for a, b in zip(steps, steps[1:], strict=False))
    second = dict(
        q(session, "SELECT status, COUNT(*) FROM enrollment WHERE cohort_id = 2 GROUP BY status")
    )
    assert set(second) <= {"nominated", "selected"} and sum(second.values()) == 30


def test_about_250_devices_and_every_equipped_pioneer_holds_an_open_tablet(session):
    kinds = dict(q(session, "SELECT kind, COUNT(*) FROM device GROUP BY kind"))
    assert kinds["tablet"] == 100 and kinds["charger"] == 100 and 240 <= sum(kinds.values()) <= 260
    missing = scalar(
        session,
        """
        SELECT COUNT(*) FROM enrollment e WHERE e.cohort_id = 1 AND e.status IN ('equipped', 'active')
        AND NOT EXISTS (SELECT 1 FROM device_assignment a JOIN device d ON d.id = a.device_id
                        WHERE a.cooperative_id = e.cooperative_id AND d.kind = 'tablet'
                        AND a.checked_in_at IS NULL)""",
    )
    assert missing == 0


def test_no_device_is_assigned_twice_at_once_and_statuses_match_assignments(session):
    spans = defaultdict(list)
    for device, out, back in q(
        session, "SELECT device_id, checked_out_at, checked_in_at FROM device_assignment"
    ):
        spans[device].append((out, back))
    for rows in spans.values():
        rows.sort(key=lambda r: str(r[0]))
        assert sum(1 for _out, back in rows if back is None) <= 1
        for (_o1, b1), (o2, _b2) in zip(rows, rows[1:], strict=False):
            assert b1 is not None and str(b1) <= str(o2)
    open_devices = {
        d
        for (d,) in q(
            session, "SELECT device_id FROM device_assignment WHERE checked_in_at IS NULL"
        )
    }
    for device, status in q(session, "SELECT id, status FROM device"):
        assert (device in open_devices) == (status in {"assigned", "in_repair"}), (device, status)
    incidents = dict(q(session, "SELECT kind, COUNT(*) FROM device_incident GROUP BY kind"))
    assert incidents == {"lost": 3, "stolen": 3, "damaged": 5, "repaired": 3}
    years = {str(y)[:4] for (y,) in q(session, "SELECT seen_on FROM device_audit")}
    assert years == {"2024", "2025"}


# Money --------------------------------------------------------------------------------


def test_net_plus_tax_equals_gross_on_every_line(session):
    assert (
        scalar(
            session,
            "SELECT COUNT(*) FROM order_line WHERE net + tax <> gross OR net < 0 OR tax < 0",
        )
        == 0
    )


def test_payment_is_the_orders_gross_and_tax_and_only_for_paid_or_delivered_orders(session):
    assert (
        scalar(
            session,
            """
        SELECT COUNT(*) FROM payment p JOIN (
            SELECT order_id, SUM(gross) AS gross, SUM(tax) AS tax FROM order_line GROUP BY order_id
        ) t ON t.order_id = p.order_id WHERE p.amount <> t.gross OR p.tax_amount <> t.tax""",
        )
        == 0
    )
    assert (
        scalar(
            session,
            """SELECT COUNT(*) FROM payment p JOIN sale_order o ON o.id = p.order_id
                              WHERE o.status NOT IN ('paid', 'delivered') OR p.paid_at <= o.placed_at""",
        )
        == 0
    )
    assert (
        scalar(session, "SELECT COUNT(*) FROM payment GROUP BY order_id HAVING COUNT(*) > 1")
        is None
    )
    unpaid = scalar(
        session,
        """SELECT COUNT(*) FROM sale_order o WHERE o.status = 'delivered'
                                AND NOT EXISTS (SELECT 1 FROM payment p WHERE p.order_id = o.id)""",
    )
    delivered = scalar(session, "SELECT COUNT(*) FROM sale_order WHERE status = 'delivered'")
    assert 0 < unpaid < 0.03 * delivered
    assert (
        scalar(
            session,
            """SELECT COUNT(*) FROM sale_order o WHERE o.status = 'paid'
                              AND NOT EXISTS (SELECT 1 FROM payment p WHERE p.order_id = o.id)""",
        )
        == 0
    )


def test_stamps_equal_the_tax_engine_on_a_sample_except_the_deliberate_anomalies(session, seeded):
    from console.models import TaxRule

    rules = [te.RuleSpec.from_record(r) for r in session.scalars(sa.select(TaxRule))]
    anomalies = set(seeded[1].tax_anomaly_line_ids)
    rows = q(
        session,
        """
        SELECT l.id, c.vat_registered, p.category_id, o.placed_at, l.unit_price, l.quantity,
               o.prices_include_tax, l.net, l.tax, l.gross, l.tax_rule_id, l.tax_rate, l.tax_note
        FROM order_line l JOIN sale_order o ON o.id = l.order_id JOIN cooperative c ON c.id = o.seller_id
        JOIN product p ON p.id = l.product_id
        WHERE l.id % 7 = 0 OR c.vat_registered""",
    )
    checked = 0
    for (
        lid,
        vat,
        category,
        placed,
        price,
        quantity,
        inclusive,
        net,
        tax,
        gross,
        rule,
        rate,
        note,
    ) in rows:
        placed = (
            placed if isinstance(placed, dt.datetime) else dt.datetime.fromisoformat(str(placed))
        )
        placed = placed.replace(tzinfo=dt.UTC) if placed.tzinfo is None else placed
        expected = te.compute_line(
            te.SaleLine(
                seller_vat_registered=bool(vat),
                category_id=category,
                sold_on=placed.astimezone(BUJUMBURA).date(),
                unit_price=int(price),
                quantity=Decimal(str(quantity)),
                price_includes_tax=bool(inclusive),
            ),
            rules,
        )
        stamped = (net, tax, gross, rule, Decimal(str(rate)), note)
        wanted = (
            expected.net,
            expected.tax,
            expected.gross,
            expected.rule_id,
            expected.rate,
            expected.note,
        )
        if lid in anomalies:
            assert stamped != wanted and rule == expected.rule_id
        else:
            assert stamped == wanted, lid
        checked += 1
    assert checked > 500
    assert any(vat for _l, vat, *_ in rows) and any(not vat for _l, vat, *_ in rows)


def test_deliberate_tax_anomalies_are_about_two_per_thousand_taxable_lines(session, seeded):
    taxable = scalar(
        session,
        "SELECT COUNT(*) FROM order_line WHERE tax_rule_id IS NOT NULL AND tax_note IS NULL",
    )
    found = len(seeded[1].tax_anomaly_line_ids)
    assert found <= max(5, 0.01 * taxable)


def test_remittances_are_monthly_for_vat_sellers_with_unique_obr_receipts(session):
    rows = q(
        session,
        """SELECT r.period_start, r.period_end, r.remitted_on, r.obr_receipt_ref, c.vat_registered
                         FROM tax_remittance r JOIN cooperative c ON c.id = r.cooperative_id""",
    )
    assert rows and all(vat for *_x, vat in rows)
    refs = [r[3] for r in rows]
    assert len(set(refs)) == len(refs) and all(ref.startswith("OBR-") for ref in refs)
    for start, end, remitted, _ref, _vat in rows:
        start, end, remitted = (dt.date.fromisoformat(str(v)) for v in (start, end, remitted))
        assert (
            start.day == 1
            and (end + dt.timedelta(days=1)).day == 1
            and remitted > end
            and remitted <= UNTIL
        )


# The stories the dashboards tell ----------------------------------------------------------


def test_beans_stop_selling_in_two_provinces_in_the_last_three_months(session):
    since = dt.datetime.combine(UNTIL - dt.timedelta(days=88), dt.time())
    for code in ("BI-KI", "BI-MY"):
        params = {"code": code, "since": since}
        sold = scalar(
            session,
            """
            SELECT COUNT(*) FROM order_line l JOIN sale_order o ON o.id = l.order_id
            JOIN product p ON p.id = l.product_id JOIN category k ON k.id = p.category_id
            JOIN cooperative c ON c.id = p.cooperative_id JOIN province v ON v.id = c.province_id
            WHERE k.code = 'haricot-sec' AND v.code = :code AND o.placed_at >= :since""",
            **params,
        )
        open_listings = scalar(
            session,
            """
            SELECT COUNT(*) FROM listing s JOIN product p ON p.id = s.product_id
            JOIN category k ON k.id = p.category_id JOIN cooperative c ON c.id = p.cooperative_id
            JOIN province v ON v.id = c.province_id
            WHERE k.code = 'haricot-sec' AND v.code = :code AND s.closed_at IS NULL""",
            **params,
        )
        assert sold == 0 and open_listings > 0


def test_raw_material_purchases_are_about_five_percent_between_distinct_cooperatives(session):
    total = scalar(session, "SELECT COUNT(*) FROM sale_order")
    rows = q(
        session,
        """SELECT o.id, b.cooperative_id, o.seller_id FROM sale_order o
                         JOIN buyer b ON b.id = o.buyer_id WHERE b.kind = 'cooperative'""",
    )
    assert 0.02 * total <= len(rows) <= 0.08 * total
    assert all(buyer_coop != seller for _o, buyer_coop, seller in rows)
    assert (
        scalar(
            session,
            """
        SELECT COUNT(*) FROM order_line l JOIN sale_order o ON o.id = l.order_id JOIN buyer b ON b.id = o.buyer_id
        JOIN product p ON p.id = l.product_id JOIN category k ON k.id = p.category_id
        WHERE b.kind = 'cooperative' AND NOT k.is_raw_material""",
        )
        == 0
    )


def test_coffee_cherry_sells_in_its_harvest_season(session):
    months = Counter()
    for (placed,) in q(
        session,
        """SELECT o.placed_at FROM order_line l JOIN sale_order o ON o.id = l.order_id
                                   JOIN product p ON p.id = l.product_id JOIN category k ON k.id = p.category_id
                                   WHERE k.code = 'cafe-cerise' AND l.line_no = 1""",
    ):
        months[int(str(placed)[5:7])] += 1
    assert sum(months[m] for m in (4, 5, 6, 7)) > 2 * sum(months[m] for m in (10, 11, 12, 1))


def test_unregistered_sellers_above_the_vat_threshold_are_exactly_the_deliberate_ones(
    session, seeded
):
    since = dt.datetime.combine(UNTIL - dt.timedelta(days=364), dt.time())
    above = q(
        session,
        """
        SELECT o.seller_id FROM order_line l JOIN sale_order o ON o.id = l.order_id
        JOIN cooperative c ON c.id = o.seller_id
        WHERE NOT c.vat_registered AND o.status <> 'cancelled' AND o.placed_at >= :since
        GROUP BY o.seller_id HAVING SUM(l.gross) > 100000000""",
        since=since,
    )
    assert 2 <= len(above) <= 3
    assert seeded[1].anomalies["vendeurs non assujettis au-dessus du seuil de TVA"] == len(above)


def test_one_summary_audit_event_counts_the_demo_rows(session, seeded):
    rows = q(session, "SELECT source, action, changes FROM audit_event WHERE table_name = 'demo'")
    assert len(rows) == 1 and rows[0][0] == "cli" and rows[0][1] == "insert"
    changes = rows[0][2] if isinstance(rows[0][2], dict) else __import__("json").loads(rows[0][2])
    assert changes == seeded[1].counts
    assert "pionnières" in seeded[1].describe()


# Refusal and determinism -------------------------------------------------------------------


def test_seeding_a_non_empty_database_is_refused_and_changes_nothing(seeded):
    from console.extensions import db

    app, _summary = seeded
    with app.app_context():
        before = counts(db.session)
        with pytest.raises(SeedRefusedError, match="base vide"):
            seed_demo(db, order_lines=100, seed=1, until=UNTIL)
        assert counts(db.session) == before
        result = app.test_cli_runner().invoke(
            args=["seed-demo", "--orders", "100", "--until", "2025-12-31"]
        )
        assert result.exit_code != 0 and "base vide" in result.output
        assert counts(db.session) == before


def test_same_seed_and_until_give_identical_rows_and_another_seed_differs(
    backend, tmp_path_factory, seeded
):
    reference = checksums(seeded[0])
    url = make_database_url(backend, tmp_path_factory)
    app = build_app(url)
    try:
        result = app.test_cli_runner().invoke(
            args=[
                "seed-demo",
                "--orders",
                str(LINES),
                "--seed",
                "2023",
                "--until",
                UNTIL.isoformat(),
            ]
        )
        assert result.exit_code == 0, result.output
        assert checksums(app) == reference
    finally:
        close_app(app, url)
    # Another seed: compared on the generated tables, which saves building a database.
    from console.demo.context import Window, load_reference_frames
    from console.demo.seed import build_tables
    from console.extensions import db

    with seeded[0].app_context():
        ref = load_reference_frames(db.session)
    same, _a, _i = build_tables(ref, Window(UNTIL), 2023, LINES)
    other, _a, _i = build_tables(ref, Window(UNTIL), 7, LINES)
    assert same["order_line"].equals(build_tables(ref, Window(UNTIL), 2023, LINES)[0]["order_line"])
    assert not other["order_line"].equals(same["order_line"])
    assert not other["cooperative"]["name"].equals(same["cooperative"]["name"])


FOREIGN_KEYS_AND_INDEXES = """
    SELECT (SELECT COUNT(*) FROM pg_constraint WHERE contype = 'f'),
           (SELECT COUNT(*) FROM pg_indexes WHERE schemaname = 'public')"""


@pytest.mark.postgres
def test_copy_load_on_postgresql_is_deterministic_and_resets_the_sequences(
    tmp_path_factory, monkeypatch
):
    require_postgres()
    from console.demo import loader

    first, first_url, _ = _seeded_app("postgresql", tmp_path_factory, lines=2000)
    # The second load takes the big-table path (indexes and foreign keys dropped, then rebuilt).
    monkeypatch.setattr(loader, "DETACH_ROWS", 500)
    second, second_url, _ = _seeded_app("postgresql", tmp_path_factory, lines=2000)
    try:
        assert checksums(first) == checksums(second)
        schema = []
        for app in (first, second):
            from console.extensions import db

            with app.app_context():
                schema.append(tuple(db.session.execute(sa.text(FOREIGN_KEYS_AND_INDEXES)).one()))
        assert schema[0] == schema[1] and schema[0][0] > 20
        from console.extensions import db
        from console.models import Buyer, BuyerKind

        with first.app_context():
            highest = db.session.scalar(sa.select(sa.func.max(Buyer.id)))
            buyer = Buyer(kind=BuyerKind.CONSUMER, name="Nouvelle cliente", country="BI")
            db.session.add(buyer)
            db.session.flush()
            assert buyer.id == highest + 1
            db.session.rollback()
            assert (
                db.session.scalar(sa.select(sa.func.count()).select_from(sa.table("order_line")))
                == 2000
            )
    finally:
        close_app(first, first_url)
        close_app(second, second_url)


def test_vectorised_stamps_equal_the_engine_across_rule_changes_exemptions_and_gaps():
    import numpy as np

    from console.demo.context import epoch_day
    from console.demo.stamps import stamp_lines

    def rule(rid, code, rate, category=None, start=dt.date(2024, 1, 1), end=None, exempt=False):
        return te.RuleSpec(
            id=rid,
            code=code,
            kind="vat",
            base="sale",
            rate=Decimal(rate),
            is_exemption=exempt,
            category_id=category,
            seller_condition="vat_registered",
            valid_from=start,
            valid_to=end,
        )

    rules = [
        rule(1, "STD-18", "0.18", end=dt.date(2025, 6, 30)),
        rule(2, "STD-20", "0.20", start=dt.date(2025, 7, 1)),
        rule(3, "RED-10", "0.10", category=20),
        rule(4, "EXO-30", "0", category=30, exempt=True),
        rule(5, "RED-125", "0.125", category=40, start=dt.date(2024, 6, 1)),
    ]
    rng = np.random.default_rng(4)
    n = 4000
    categories = np.array([10, 20, 30, 40])
    cat = rng.integers(0, 4, n)
    days = rng.integers(epoch_day(dt.date(2023, 10, 1)), epoch_day(dt.date(2026, 3, 1)), n)
    vat = rng.random(n) < 0.7
    price = rng.integers(1, 60_000, n)
    qty = np.where(rng.random(n) < 0.5, rng.integers(1, 500, n) * 1000, rng.integers(1, 900_000, n))
    inclusive = rng.random(n) < 0.5
    stamps = stamp_lines(
        rng, rules, categories, cat, days, vat, price, qty, inclusive, anomalies=False
    )
    for i in range(n):
        expected = te.compute_line(
            te.SaleLine(
                seller_vat_registered=bool(vat[i]),
                category_id=int(categories[cat[i]]),
                sold_on=dt.date(1970, 1, 1) + dt.timedelta(days=int(days[i])),
                unit_price=int(price[i]),
                quantity=Decimal(int(qty[i])).scaleb(-3),
                price_includes_tax=bool(inclusive[i]),
            ),
            rules,
        )
        got = (
            int(stamps.net[i]),
            int(stamps.tax[i]),
            int(stamps.gross[i]),
            None if stamps.rule_id[i] < 0 else int(stamps.rule_id[i]),
            Decimal(int(stamps.rate_bps[i])).scaleb(-4),
            stamps.note[i],
        )
        assert got == (
            expected.net,
            expected.tax,
            expected.gross,
            expected.rule_id,
            expected.rate,
            expected.note,
        ), i
