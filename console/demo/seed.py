"""`seed_demo`: a realistic, deterministic demo data set, loaded in one transaction.

The same (seed, until, order_lines) on an empty database gives identical rows, ids
included: every generator draws from its own stream of one numpy SeedSequence, and
ids are assigned here, not by the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import func, insert, select

from console.extensions import metadata
from console.models import AuditEvent, Cooperative, Province
from console.models.types import utcnow
from console.reference.loader import load_reference
from console.services.audit import Actor, acting_as
from console.services.ebms.outbox import enqueue_placed_since
from console.services.periods import local_midnight_utc, today_local
from console.services.sales import is_sale_status

from .buyers import generate_buyers
from .catalogue import finalize_listings, generate_catalogue
from .context import EARLIEST_UNTIL, INTERVENTION_ZONE, Reference, Window, load_reference_frames
from .inventory import generate_inventory
from .loader import bulk_load
from .orders import generate_sales
from .pilot import generate_pilot
from .sellers import generate_sellers
from .settlement import payments, remittances
from .stamps import rate_text, stamp_lines
from .turnover import adjust_turnover, sellers_above_threshold

ACTOR = Actor(None, "isoko seed-demo", "cli")
# How far back the demo's sales have an OBR invoice in the outbox (eBMS started then).
EBMS_SINCE = dt.timedelta(days=30)
# Tables the demo fills, parents first; any row in one of them means "not empty".
DEMO_TABLES = [
    "cooperative",
    "cooperative_value_chain",
    "buyer",
    "product",
    "listing",
    "sale_order",
    "order_line",
    "payment",
    "tax_remittance",
    "cohort",
    "enrollment",
    "enrollment_transition",
    "training_session",
    "attendance",
    "device",
    "device_assignment",
    "device_incident",
    "device_audit",
]
TABLE_LABELS = {
    "cooperative": "vendeurs (coopératives et entrepreneurs)",
    "cooperative_value_chain": "liens vendeur–filière",
    "buyer": "acheteurs",
    "product": "produits",
    "listing": "offres",
    "sale_order": "commandes",
    "order_line": "lignes de commande",
    "payment": "paiements",
    "tax_remittance": "versements de TVA à l'OBR",
    "cohort": "cohortes",
    "enrollment": "inscriptions au programme",
    "enrollment_transition": "étapes d'inscription",
    "training_session": "sessions de formation",
    "attendance": "participants aux formations",
    "device": "équipements",
    "device_assignment": "remises d'équipement",
    "device_incident": "incidents d'équipement",
    "device_audit": "contrôles d'équipement",
}


class SeedError(ValueError):
    """The demo cannot be seeded as asked; the French message says what to change."""


class SeedRefusedError(SeedError):
    """The database already holds data: the demo loads only into an empty database."""


@dataclass
class SeedSummary:
    """Rows written per table, and the deliberate anomalies (for tests and curious users)."""

    counts: dict[str, int]
    seed: int
    until: dt.date
    pioneers: int = 0
    zone_provinces: int = 0
    anomalies: dict[str, int] = field(default_factory=dict)
    tax_anomaly_line_ids: tuple[int, ...] = ()

    def describe(self) -> str:
        """A short French summary for the command line."""

        def n(value: int) -> str:
            """French thousands: 20 000."""
            return f"{value:,}".replace(",", "\u202f")

        lines = [
            f"Jeu de démonstration chargé (graine {self.seed}, jusqu'au {self.until:%d/%m/%Y}) :",
            f"  {n(self.pioneers)} coopératives pionnières dans {self.zone_provinces} provinces "
            "de la zone d'intervention du PNUD.",
        ]
        lines += [f"  - {TABLE_LABELS[t]} : {n(self.counts.get(t, 0))}" for t in DEMO_TABLES]
        if self.anomalies:
            detail = ", ".join(f"{label} : {n(v)}" for label, v in self.anomalies.items())
            lines.append(f"  Anomalies volontaires : {detail}.")
        return "\n".join(lines)


def seed_demo(
    db,
    *,
    order_lines: int = 20000,
    seed: int = 2023,
    until: dt.date | None = None,
    progress=lambda message: None,
) -> SeedSummary:
    """Generate and load the demo data set into an empty database, in one transaction.

    ``progress`` receives a line as each stage ends (generation, loading), with counts.
    """
    until = until or today_local()
    if until < EARLIEST_UNTIL:
        raise SeedError(
            f"La date de fin doit être au plus tôt le {EARLIEST_UNTIL:%d/%m/%Y} : la démonstration "
            "suppose la première année du programme pilote (formation de juin 2023) écoulée."
        )
    if order_lines < 1:
        raise SeedError("Le nombre de lignes de commande doit être d'au moins 1.")
    session = db.session
    try:
        _refuse_if_not_empty(session)
        with acting_as(ACTOR):
            load_reference(session)
            _mark_intervention_zone(session)
            session.flush()
        ref = load_reference_frames(session)
        tables, anomalies, anomaly_ids = build_tables(ref, Window(until), seed, order_lines)
        counts = {name: len(tables[name]) for name in DEMO_TABLES}
        rows = f"{sum(counts.values()):,}".replace(",", "\u202f")
        progress(f"Données de démonstration générées : {rows} lignes dans {len(counts)} tables.")
        connection = session.connection()
        bulk_load(connection, metadata, tables)
        # The demo's sellers started transmitting to OBR's eBMS a month before its end.
        counts["ebms_message"] = enqueue_placed_since(
            session, local_midnight_utc(until - EBMS_SINCE)
        )
        progress("Données de démonstration écrites en base.")
        connection.execute(
            insert(AuditEvent.__table__),
            [
                {
                    "at": utcnow(),
                    "user_id": None,
                    "username": ACTOR.username,
                    "source": "cli",
                    "table_name": "demo",
                    "row_id": None,
                    "action": "insert",
                    "changes": counts,
                }
            ],
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return SeedSummary(
        counts=counts,
        seed=seed,
        until=until,
        pioneers=int(tables["cooperative"]["is_pioneer"].sum()),
        zone_provinces=len(INTERVENTION_ZONE),
        anomalies=anomalies,
        tax_anomaly_line_ids=anomaly_ids,
    )


def _refuse_if_not_empty(session) -> None:
    """Raise SeedRefusedError when a cooperative or any demo row already exists."""
    existing = session.scalar(select(func.count()).select_from(Cooperative))
    if existing:
        raise SeedRefusedError(
            f"La base contient déjà {existing} coopérative(s) : le jeu de démonstration ne se charge "
            "que dans une base vide. Utilisez une base neuve (après « isoko db upgrade »)."
        )
    for name in DEMO_TABLES:
        table = metadata.tables[name]
        if session.execute(select(table).limit(1)).first() is not None:
            raise SeedRefusedError(
                f"La table « {name} » contient déjà des lignes : le jeu de démonstration ne se "
                "charge que dans une base vide."
            )


def _mark_intervention_zone(session) -> None:
    """Exactly the 11 provinces of the zone (2015 map) carry the flag."""
    for province in session.scalars(select(Province).where(Province.map_version == "2015")):
        province.in_intervention_zone = province.code in INTERVENTION_ZONE


def build_tables(
    ref: Reference, window: Window, seed: int, order_lines: int
) -> tuple[dict[str, pd.DataFrame], dict[str, int], tuple[int, ...]]:
    """Generate every demo table (pure: no database access)."""
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(9)]
    sellers = generate_sellers(streams[0], ref, window)
    pilot = generate_pilot(streams[1], ref, window, sellers)
    inventory = generate_inventory(streams[2], ref, window, sellers, pilot)
    cat = generate_catalogue(streams[3], ref, window, sellers, order_lines)
    buyers = generate_buyers(streams[4], ref, sellers, cat, order_lines)
    sales = generate_sales(streams[5], ref, window, sellers, cat, buyers, order_lines)
    line_category = cat.category[sales.line_product]
    pieces = (ref.categories.unit.to_numpy() == "piece")[line_category]
    adjust_turnover(sales, sellers, pieces, window.n_days)

    line_seller = sales.order_seller[sales.line_order]
    stamps = stamp_lines(
        streams[6],
        ref.rules,
        ref.categories.id.to_numpy(),
        line_category,
        window.start_epoch_day + sales.order_day[sales.line_order],
        sellers.vat_registered[line_seller],
        sales.line_price,
        sales.line_qty_milli,
        sales.order_inclusive[sales.line_order],
    )
    starts = np.flatnonzero(np.r_[True, sales.line_order[1:] != sales.line_order[:-1]])
    order_gross = np.add.reduceat(stamps.gross, starts)
    order_tax = np.add.reduceat(stamps.tax, starts)
    sold = is_sale_status(sales.order_status[sales.line_order])
    listings = finalize_listings(
        streams[7],
        cat,
        window,
        sales.line_listing,
        sales.line_qty_milli,
        sales.order_seconds[sales.line_order],
        sold,
    )
    n_orders = len(sales.order_seller)
    order_ids = np.arange(1, n_orders + 1)
    years = (sales.order_seconds + 7200).astype("datetime64[s]").astype("datetime64[Y]").astype(
        int
    ) + 1970
    orders = pd.DataFrame(
        {
            "id": order_ids,
            "reference": [
                f"CMD-{y}-{i:07d}" for y, i in zip(years.tolist(), order_ids.tolist(), strict=True)
            ],
            "buyer_id": sales.order_buyer,
            "seller_id": sellers.ids[sales.order_seller],
            "placed_at": sales.order_seconds.astype("datetime64[s]"),
            "status": sales.order_status,
            "is_export": sales.order_kind == 2,
            "payment_method": sales.order_method,
            "prices_include_tax": sales.order_inclusive,
        }
    )
    listing_id = np.where(
        sales.line_listing >= 0, cat.listing_id[np.maximum(sales.line_listing, 0)], 0
    )
    lines = pd.DataFrame(
        {
            "id": np.arange(1, order_lines + 1),
            "order_id": sales.line_order + 1,
            "line_no": sales.line_no,
            "product_id": sales.line_product + 1,
            "listing_id": pd.arrays.IntegerArray(listing_id, sales.line_listing < 0),
            "quantity": sales.line_qty_milli / 1000.0,  # float quantities load with 3 decimals
            "unit_price": sales.line_price,
            "net": stamps.net,
            "tax": stamps.tax,
            "gross": stamps.gross,
            "tax_rule_id": pd.arrays.IntegerArray(
                np.maximum(stamps.rule_id, 0), stamps.rule_id < 0
            ),
            "tax_rate": rate_text(stamps.rate_bps),
            "tax_note": stamps.note,
        }
    )
    tables = {
        "cooperative": sellers.frame,
        "cooperative_value_chain": sellers.value_chain_frame(ref),
        "buyer": buyers.frame,
        "product": cat.products,
        "listing": listings,
        "sale_order": orders,
        "order_line": lines,
        "payment": payments(streams[8], window, sales, order_gross, order_tax),
        "tax_remittance": remittances(streams[8], window, sales, sellers, stamps.tax),
        **pilot.tables,
        **inventory.tables,
    }
    anomalies = {
        "lignes sans TVA ou à un taux périmé": int(stamps.anomaly.sum()),
        "commandes livrées jamais payées": int(sales.unpaid.sum()),
        "vendeurs non assujettis au-dessus du seuil de TVA": sellers_above_threshold(
            sales, sellers, stamps.gross, window.n_days
        ),
        "vendeurs en forte baisse": int(sellers.sharp_drop.sum()),
    }
    anomaly_ids = tuple(int(i) + 1 for i in np.flatnonzero(stamps.anomaly))
    return {name: tables[name] for name in DEMO_TABLES}, anomalies, anomaly_ids
