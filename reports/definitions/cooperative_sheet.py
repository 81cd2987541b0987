"""Fiche coopérative: one seller's profile, twelve months of sales and tax, offers, devices,
programme and remittances."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from console import models as m
from console.services.mevente.sell_through import DEFINITION as SELL_THROUGH_DEFINITION
from console.services.mevente.sell_through import LABEL as SELL_THROUGH_LABEL
from console.services.mevente.sell_through import sell_through
from console.services.money import round_franc
from console.services.periods import (
    MONTH,
    add_months,
    local_midnight_utc,
    period_of,
    to_local_naive,
)
from console.services.sales import is_sale
from console.services.tax.reconciliation import reconcile

from ..charts import column_chart
from ..excel import Column, Section
from ..parameters import ReportParameters
from ..registry import ReportSpec

WINDOW_MONTHS = 12


def profile(session: Session, coop: m.Cooperative) -> list[tuple[str, str]]:
    """The registry facts, as (label, value) pairs."""
    yes_no = {True: "Oui", False: "Non"}
    return [
        ("Nom", coop.name + (f" ({coop.acronym})" if coop.acronym else "")),
        ("Type de vendeur", coop.seller_kind.label),
        ("Catégorie (loi n°1/12 du 28 juin 2017)", coop.category.label),
        ("N° d'enregistrement (ANACOOP)", coop.registration_number),
        ("NIF", coop.nif or "—"),
        ("Registre du commerce", coop.trade_register_number or "—"),
        ("Assujetti à la TVA", yes_no[bool(coop.vat_registered)]),
        ("Statut", coop.status.label + (f" — {coop.status_reason}" if coop.status_reason else "")),
        ("Pionnière du programme", yes_no[bool(coop.is_pioneer)]),
        ("Province (carte de 2015)", coop.province.name),
        ("Province (carte de 2025)", coop.province_2025.name),
        ("Commune", coop.commune.name if coop.commune else "—"),
        ("Date de création", coop.founded_on.strftime("%d/%m/%Y") if coop.founded_on else "—"),
        (
            "Membres",
            f"{coop.members_total} dont {coop.members_women} femmes et {coop.members_youth} jeunes",
        ),
        ("Filières", ", ".join(sorted(vc.name for vc in coop.value_chains)) or "—"),
        ("Contact", " · ".join(x for x in (coop.contact_name, coop.phone, coop.email) if x) or "—"),
    ]


def listings(session: Session, coop_id: int, start, end) -> list[dict]:
    """Offers open during the window, with what sold of them by its end."""
    stmt = (
        select(m.Listing, func.coalesce(func.sum(m.OrderLine.quantity), 0))
        .join(m.Product, m.Product.id == m.Listing.product_id)
        .outerjoin(m.OrderLine, m.OrderLine.listing_id == m.Listing.id)
        .outerjoin(m.Order, m.Order.id == m.OrderLine.order_id)
        .where(
            m.Listing.cooperative_id == coop_id,
            m.Listing.listed_at < end,
            or_(m.Listing.closed_at.is_(None), m.Listing.closed_at >= start),
            or_(m.Order.id.is_(None), (m.Order.placed_at < end) & is_sale()),
        )
        .group_by(m.Listing.id)
        .order_by(m.Listing.listed_at.desc())
    )
    rows = []
    for listing, sold in session.execute(stmt):
        offered = Decimal(listing.quantity_offered)
        sold_qty = min(Decimal(sold or 0), offered)
        rows.append(
            {
                "product": listing.product.name,
                "unit": listing.product.unit.name,
                "listed_at": listing.listed_at,
                "closed_at": listing.closed_at,
                "offered": offered,
                "sold": sold_qty,
                "price": listing.unit_price,
                "offered_value": round_franc(offered * listing.unit_price),
                "sold_value": round_franc(sold_qty * listing.unit_price),
                "rate": sold_qty / offered if offered else None,
            }
        )
    return rows


def collect(session: Session, params: ReportParameters) -> dict:
    """Everything the sheet shows about the cooperative."""
    coop = session.get(m.Cooperative, params.cooperative_id)
    last = period_of(params.period.end)  # the window ends with the period's last month
    first_month = add_months(last.start, -(WINDOW_MONTHS - 1))
    months = reconcile(session, params.data_scope, first_month, last.end, MONTH, seller_id=coop.id)
    by_month = {r.period.start: r for r in months}
    series = []
    current = first_month
    while current <= last.start:
        row = by_month.get(current)
        series.append(
            {
                "month": current,
                "label": f"{current:%m/%Y}",
                "lines": row.lines if row else 0,
                "gross": row.sales_gross if row else 0,
                "due": row.tax_due if row else 0,
                "collected": row.tax_collected if row else 0,
                "remitted": row.tax_remitted if row else 0,
            }
        )
        current = add_months(current, 1)
    window_start = series[0]["month"]
    start_utc, end_utc = local_midnight_utc(window_start), last.utc_end
    offers = listings(session, coop.id, start_utc, end_utc)
    assignments = session.scalars(
        select(m.DeviceAssignment)
        .where(m.DeviceAssignment.cooperative_id == coop.id)
        .order_by(m.DeviceAssignment.checked_out_at.desc())
    ).all()
    enrollments = session.scalars(
        select(m.Enrollment).where(m.Enrollment.cooperative_id == coop.id).order_by(m.Enrollment.id)
    ).all()
    attendance = session.execute(
        select(
            m.Attendance.gender,
            func.count(),
            func.coalesce(func.sum(m.Attendance.days_attended), 0),
        )
        .where(m.Attendance.cooperative_id == coop.id)
        .group_by(m.Attendance.gender)
    ).all()
    remittances = session.scalars(
        select(m.TaxRemittance)
        .where(
            m.TaxRemittance.cooperative_id == coop.id,
            m.TaxRemittance.period_end >= window_start,
            m.TaxRemittance.period_end <= last.end,
        )
        .order_by(m.TaxRemittance.period_start)
    ).all()
    offered = sum(o["offered_value"] for o in offers)
    sold = sum(o["sold_value"] for o in offers)
    totals = {
        k: sum(s[k] for s in series) for k in ("lines", "gross", "due", "collected", "remitted")
    }
    return {
        "coop": coop,
        "profile": profile(session, coop),
        "series": series,
        "totals": totals,
        "window_label": f"de {series[0]['label']} à {series[-1]['label']}",
        "chart_sales": column_chart([(f"{s['month']:%m/%y}", s["gross"]) for s in series]),
        "offers": offers,
        "mevente": {
            "offered": offered,
            "sold": sold,
            "unsold": sum(1 for o in offers if o["sold"] == 0),
            "rate": sell_through(
                session, params.data_scope, window_start, last.end, cooperative_id=coop.id
            ).rate,
            "label": SELL_THROUGH_LABEL,
            "definition": SELL_THROUGH_DEFINITION,
        },
        "assignments": assignments,
        "enrollments": enrollments,
        "attendance": {g.label: (int(n), int(d)) for g, n, d in attendance},
        "remittances": remittances,
    }


def excel(session: Session, data: dict, params: ReportParameters) -> list[Section]:
    """Profile, monthly sales and tax, offers, devices, programme, remittances."""
    return [
        Section(
            "Profil", [Column("Rubrique", width=36), Column("Valeur", width=70)], data["profile"]
        ),
        Section(
            "Ventes mensuelles",
            [
                Column("Mois", width=10),
                Column("Lignes", "int"),
                Column("Ventes TTC", "francs"),
                Column("Taxe due", "francs"),
                Column("Taxe encaissée", "francs"),
                Column("Taxe versée", "francs"),
            ],
            [
                (s["label"], s["lines"], s["gross"], s["due"], s["collected"], s["remitted"])
                for s in data["series"]
            ],
        ),
        Section(
            "Offres",
            [
                Column("Produit", width=30),
                Column("Unité", width=10),
                Column("Publiée le", "datetime"),
                Column("Clôturée le", "datetime"),
                Column("Quantité offerte", "quantity"),
                Column("Quantité vendue", "quantity"),
                Column("Prix unitaire", "francs"),
                Column("Valeur offerte", "francs"),
                Column("Valeur vendue", "francs"),
                Column("Part vendue", "percent"),
            ],
            [
                (
                    o["product"],
                    o["unit"],
                    to_local_naive(o["listed_at"]),
                    to_local_naive(o["closed_at"]) if o["closed_at"] else None,
                    o["offered"],
                    o["sold"],
                    o["price"],
                    o["offered_value"],
                    o["sold_value"],
                    o["rate"],
                )
                for o in data["offers"]
            ],
        ),
        Section(
            "Équipements",
            [
                Column("N° d'inventaire", width=16),
                Column("Type", width=14),
                Column("Modèle", width=20),
                Column("Remis le", "datetime"),
                Column("Reçu par", width=26),
                Column("État à la remise", width=14),
                Column("Restitué le", "datetime"),
                Column("Statut actuel", width=14),
            ],
            [
                (
                    a.device.asset_tag,
                    a.device.kind.label,
                    a.device.model,
                    to_local_naive(a.checked_out_at),
                    a.received_by,
                    a.condition_out.label,
                    to_local_naive(a.checked_in_at) if a.checked_in_at else None,
                    a.device.status.label,
                )
                for a in data["assignments"]
            ],
        ),
        Section(
            "Programme pilote",
            [
                Column("Cohorte", width=30),
                Column("Statut", width=14),
                Column("Nominée le", "date"),
                Column("Sélectionnée le", "date"),
                Column("Formée le", "date"),
                Column("Équipée le", "date"),
                Column("Active le", "date"),
            ],
            [
                (
                    e.cohort.name,
                    e.status.label,
                    e.nominated_on,
                    e.selected_on,
                    e.trained_on,
                    e.equipped_on,
                    e.activated_on,
                )
                for e in data["enrollments"]
            ],
        ),
        Section(
            "Versements OBR",
            [
                Column("Du", "date"),
                Column("Au", "date"),
                Column("Type", width=12),
                Column("Montant", "francs"),
                Column("Reçu OBR", width=22),
                Column("Versé le", "date"),
            ],
            [
                (
                    r.period_start,
                    r.period_end,
                    r.tax_kind.label,
                    r.amount,
                    r.obr_receipt_ref,
                    r.remitted_on,
                )
                for r in data["remittances"]
            ],
        ),
    ]


SPEC = ReportSpec(
    key="fiche-cooperative",
    title="Fiche coopérative",
    resource="CooperativeSheetReportView",
    parameters=("cooperative", "period"),
    collect=collect,
    template="reports/pdf/cooperative_sheet.html",
    excel=excel,
    description="Profil d'une coopérative, ventes et taxes des douze derniers mois, offres et mévente, "
    "équipements, programme pilote et versements à l'OBR.",
)
