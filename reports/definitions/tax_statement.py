"""Relevé des recettes fiscales: due, collected, remitted and gap per seller, and leakage flags.

The figures come from console.services.tax.reconciliation and console.services.tax.leakage
(the definitions auditors check by hand are in their docstrings); this module only
lays them out. The Excel version adds every order line of the period, streamed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console import models as m
from console.security.scoping import apply_scope
from console.services.ebms import status as ebms_status
from console.services.periods import MONTH, QUARTER, to_local_naive
from console.services.sales import is_sale
from console.services.tax.leakage import leakage_flags
from console.services.tax.reconciliation import reconcile, reconciliation_totals

from ..excel import Column, Section
from ..parameters import ReportParameters, period_label
from ..queries import in_period
from ..registry import ReportSpec, national

STREAM_BATCH = 5000  # rows fetched per round trip from the server-side cursor


def seller_balances(session: Session, params: ReportParameters) -> tuple[list, object]:
    """Per-seller reconciliation of the period, and its totals (a year: its months summed)."""
    period = params.period
    grain = period.grain if period.grain in (MONTH, QUARTER) else MONTH
    rows = reconcile(session, params.data_scope, period.start, period.end, grain)
    if grain != period.grain:
        rows = _merged_by_seller(rows, period)
    return rows, reconciliation_totals(rows)


_SUMMED = (
    "lines",
    "sales_net",
    "sales_gross",
    "tax_due",
    "tax_collected",
    "tax_remitted",
    "remittances",
)


def _merged_by_seller(rows: list, period) -> list:
    """One row per seller over the whole period, from its monthly rows."""
    merged: dict[int, object] = {}
    for row in rows:
        first = merged.get(row.seller_id)
        if first is None:
            merged[row.seller_id] = replace(row, period=period)
            continue
        deadlines = [d for d in (first.deadline_days, row.deadline_days) if d is not None]
        merged[row.seller_id] = replace(
            first,
            **{name: getattr(first, name) + getattr(row, name) for name in _SUMMED},
            deadline_days=min(deadlines) if deadlines else None,
        )
    return sorted(merged.values(), key=lambda r: (r.seller_name.casefold(), r.seller_id))


def flags_by_seller(
    session: Session, params: ReportParameters
) -> tuple[list, dict[int, list[str]]]:
    """The leakage flags of the period, and each seller's flag labels."""
    period = params.period
    flags = leakage_flags(session, params.data_scope, period.start, period.end)
    labels: dict[int, list[str]] = defaultdict(list)
    for flag in flags:
        if flag.label not in labels[flag.seller_id]:
            labels[flag.seller_id].append(flag.label)
    return flags, labels


def obr_tax(session: Session, params: ReportParameters) -> dict[int, dict[str, int]]:
    """Per seller: tax of the period's stamped sales, and of those OBR registered (eBMS)."""
    period = params.period
    return ebms_status.tax_by_seller(session, params.data_scope, period.utc_start, period.utc_end)


def collect(session: Session, params: ReportParameters) -> dict:
    """The reconciliation rows, their totals, the flags and the tax OBR registered."""
    rows, totals = seller_balances(session, params)
    flags, labels = flags_by_seller(session, params)
    obr = obr_tax(session, params)
    # The PDF lists sellers with tax or flags; the others (not VAT-registered, nothing
    # due) are counted, and listed in the workbook.
    listed = [
        r for r in rows if r.tax_due or r.tax_collected or r.tax_remitted or r.seller_id in labels
    ]
    return {
        "rows": rows,
        "listed_rows": listed,
        "omitted": len(rows) - len(listed),
        "totals": totals,
        "flags": flags,
        "seller_flags": labels,
        "flagged_sellers": len(labels),
        "obr": obr,
        "obr_registered": sum(v[ebms_status.REGISTERED] for v in obr.values()),
    }


def count_lines(session: Session, params: ReportParameters) -> int:
    """How many order lines the period has in scope (cancelled orders included)."""
    stmt = (
        select(func.count())
        .select_from(m.OrderLine)
        .join(m.Order, m.Order.id == m.OrderLine.order_id)
        .where(*in_period(params.period))
    )
    return session.scalar(apply_scope(stmt, m.Order, params.data_scope)) or 0


LINE_COLUMNS = [
    Column("Date (Bujumbura)", "datetime"),
    Column("Commande", width=22),
    Column("Ligne", "int", 7),
    Column("Statut", width=11),
    Column("Vendeur", width=34),
    Column("NIF", width=14),
    Column("Province", width=16),
    Column("Produit", width=28),
    Column("Catégorie", width=22),
    Column("Quantité", "quantity"),
    Column("Prix unitaire", "francs"),
    Column("Montant HT", "francs"),
    Column("Taxe", "francs"),
    Column("Montant TTC", "francs"),
    Column("Règle fiscale", width=16),
    Column("Taux", "rate"),
    Column("Note fiscale", width=30),
    Column("État OBR", width=22),
    Column("N° OBR", width=16),
]


def order_lines(session: Session, params: ReportParameters) -> Iterator[tuple]:
    """Every order line of the period in scope, oldest first, streamed in batches.

    Names of sellers, products and rules are looked up from small dictionaries loaded
    once, so the streamed query reads only the two big tables.
    """
    scope = params.data_scope
    province = (
        m.Cooperative.province_id
        if params.map_version == "2015"
        else m.Cooperative.province_2025_id
    )
    sellers = {
        sid: (name, nif, pname)
        for sid, name, nif, pname in session.execute(
            apply_scope(
                select(
                    m.Cooperative.id, m.Cooperative.name, m.Cooperative.nif, m.Province.name
                ).join(m.Province, m.Province.id == province),
                m.Cooperative,
                scope,
            )
        )
    }
    products = {
        pid: (name, category)
        for pid, name, category in session.execute(
            apply_scope(
                select(m.Product.id, m.Product.name, m.Category.name).join(
                    m.Category, m.Category.id == m.Product.category_id
                ),
                m.Product,
                scope,
            )
        )
    }
    rules = dict(session.execute(select(m.TaxRule.id, m.TaxRule.code)).all())
    statuses = {s: s.label for s in m.OrderStatus}
    obr_labels = ebms_status.STATE_OF_ONE
    stmt = apply_scope(
        select(
            m.Order.placed_at,
            m.Order.reference,
            m.OrderLine.line_no,
            m.Order.status,
            m.Order.seller_id,
            m.OrderLine.product_id,
            m.OrderLine.quantity,
            m.OrderLine.unit_price,
            m.OrderLine.net,
            m.OrderLine.tax,
            m.OrderLine.gross,
            m.OrderLine.tax_rule_id,
            m.OrderLine.tax_rate,
            m.OrderLine.tax_note,
            ebms_status.status_column(),
            ebms_status.INVOICE.obr_number,
            is_sale(),  # a cancelled order has no state with OBR to show
        )
        .select_from(m.OrderLine)
        .join(m.Order, m.Order.id == m.OrderLine.order_id)
        .outerjoin(ebms_status.INVOICE, ebms_status.invoice_join())
        .where(*in_period(params.period))
        .order_by(m.Order.placed_at, m.Order.id, m.OrderLine.line_no),
        m.Order,
        scope,
    )
    # yield_per: a server-side cursor on PostgreSQL, fetched in batches: memory stays flat.
    result = session.execute(stmt.execution_options(yield_per=STREAM_BATCH))
    unknown = ("?", None, "?")
    for (
        placed_at,
        reference,
        line_no,
        status,
        seller_id,
        product_id,
        quantity,
        unit_price,
        net,
        tax,
        gross,
        rule_id,
        rate,
        note,
        obr_status,
        obr_number,
        sale,
    ) in result:
        seller = sellers.get(seller_id, unknown)
        product = products.get(product_id, ("?", "?"))
        yield (
            to_local_naive(placed_at),
            reference,
            line_no,
            statuses[status],
            seller[0],
            seller[1],
            seller[2],
            product[0],
            product[1],
            quantity,
            unit_price,
            net,
            tax,
            gross,
            rules.get(rule_id),
            rate,
            note,
            obr_labels[obr_status] if sale else None,
            obr_number,
        )


def excel(session: Session, data: dict, params: ReportParameters) -> list[Section]:
    """Per seller, the flags, then every order line."""
    labels = data["seller_flags"]
    obr = data["obr"]
    none = {"stamped": 0, ebms_status.REGISTERED: 0}
    per_seller = [
        (
            r.seller_name,
            r.registration_number,
            r.nif,
            r.province_2025,
            r.province,
            "Oui" if r.vat_registered else "Non",
            period_label(r.period),
            r.lines,
            r.sales_net,
            r.sales_gross,
            r.tax_due,
            r.tax_collected,
            r.tax_remitted,
            r.unremitted,
            r.collected_not_remitted,
            obr.get(r.seller_id, none)[ebms_status.REGISTERED],
            r.tax_due - obr.get(r.seller_id, none)[ebms_status.REGISTERED],
            " ; ".join(labels.get(r.seller_id, [])),
        )
        for r in data["rows"]
    ]
    t = data["totals"]
    per_seller.append(
        (
            "TOTAL",
            None,
            None,
            None,
            None,
            None,
            None,
            sum(r.lines for r in data["rows"]),
            t.sales_net,
            t.sales_gross,
            t.tax_due,
            t.tax_collected,
            t.tax_remitted,
            t.unremitted,
            t.collected_not_remitted,
            data["obr_registered"],
            t.tax_due - data["obr_registered"],
            None,
        )
    )
    flags = [
        (
            f.label,
            f.seller_name,
            f.province,
            period_label(f.period),
            f.amount_at_stake,
            f.explanation,
        )
        for f in data["flags"]
    ]
    return [
        Section(
            "Par vendeur",
            [
                Column("Vendeur", width=34),
                Column("N° d'enregistrement", width=18),
                Column("NIF", width=14),
                Column("Province (2025)", width=16),
                Column("Province (2015)", width=16),
                Column("Assujetti TVA", width=10),
                Column("Période", width=18),
                Column("Lignes", "int"),
                Column("Ventes HT", "francs"),
                Column("Ventes TTC", "francs"),
                Column("Taxe due", "francs"),
                Column("Taxe encaissée", "francs"),
                Column("Taxe versée", "francs"),
                Column("Écart dû − versé", "francs"),
                Column("Encaissé non versé", "francs"),
                Column("Taxe enregistrée OBR", "francs"),
                Column("Taxe non enregistrée OBR", "francs"),
                Column("Signalements", width=40),
            ],
            per_seller,
            notes=[
                "Taxe due : taxe inscrite sur les lignes des commandes non annulées de la période. "
                "Taxe encaissée : part fiscale des paiements de ces commandes. Taxe versée : versements "
                "de TVA à l'OBR dont la période déclarée se termine dans la période.",
                "Taxe enregistrée OBR : taxe des ventes dont la facture est enregistrée par l'OBR "
                "(eBMS) ; non enregistrée : taxe due − enregistrée (facture en attente, refusée ou "
                "non transmise). La feuille « Lignes de commande » donne le n° OBR de chaque ligne.",
            ],
        ),
        Section(
            "Signalements",
            [
                Column("Type", width=30),
                Column("Vendeur", width=34),
                Column("Province", width=16),
                Column("Période", width=16),
                Column("Montant en jeu", "francs"),
                Column("Explication", width=90),
            ],
            flags,
        ),
        Section(
            "Lignes de commande",
            LINE_COLUMNS,
            order_lines(session, params),
            total_rows=count_lines(session, params),
        ),
    ]


def is_large(params: ReportParameters, fmt: str) -> bool:
    """Workbooks carry every order line; national PDFs cover every seller."""
    return fmt == "xlsx" or national(params, fmt)


SPEC = ReportSpec(
    key="recettes-fiscales",
    title="Relevé des recettes fiscales",
    resource="TaxStatementReportView",
    parameters=("period", "province", "map"),
    collect=collect,
    template="reports/pdf/tax_statement.html",
    excel=excel,
    description="Taxe due, encaissée et versée par vendeur, écarts et signalements ; le classeur "
    "Excel contient toutes les lignes de commande de la période.",
    is_large=is_large,
)
