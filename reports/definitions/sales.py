"""Rapport mensuel des ventes: key figures, provinces, value chains, top sellers, mévente."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from console import models as m
from console.formatting import format_date
from console.security.scoping import apply_scope
from console.services.mevente.sell_through import DEFINITION as SELL_THROUGH_DEFINITION
from console.services.mevente.sell_through import LABEL as SELL_THROUGH_LABEL
from console.services.mevente.sell_through import sell_through_by
from console.services.mevente.sell_through import total as sell_through_total
from console.services.money import round_franc
from console.services.periods import as_date, is_complete, local_day, today_local
from console.services.sales import counts_as_order, is_sale, order_count

from ..charts import bar_chart, column_chart
from ..excel import Column, Section
from ..parameters import ReportParameters, period_label, previous_period
from ..queries import in_period, provinces_of_map, sales_select
from ..registry import ReportSpec, national

TOP_SELLERS = 10


def _ratio(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    return Decimal(part) / Decimal(whole) if whole else None


@dataclass
class _Sums:
    gross: int = 0
    net: int = 0
    tax: int = 0
    lines: int = 0

    def add(self, gross, net, tax, lines) -> None:
        self.gross += int(gross)
        self.net += int(net)
        self.tax += int(tax)
        self.lines += int(lines)


def sales_groups(session: Session, params: ReportParameters, period) -> list[tuple]:
    """One pass over the period's lines: sums per (seller, value chain, Bujumbura day).

    Every table of the report is a regrouping of these rows, so the big table is read
    once rather than once per table.
    """
    day = local_day(m.Order.placed_at)
    stmt = (
        sales_select(
            params.data_scope,
            period,
            m.Order.seller_id,
            m.Category.value_chain_id,
            day,
            func.sum(m.OrderLine.gross),
            func.sum(m.OrderLine.net),
            func.sum(m.OrderLine.tax),
            func.count(m.OrderLine.id),
        )
        .join(m.Product, m.Product.id == m.OrderLine.product_id)
        .join(m.Category, m.Category.id == m.Product.category_id)
        .group_by(m.Order.seller_id, m.Category.value_chain_id, day)
    )
    return [(seller, chain, as_date(d), *sums) for seller, chain, d, *sums in session.execute(stmt)]


def orders_by_seller(session: Session, params: ReportParameters) -> tuple[dict[int, int], int]:
    """Orders per seller over the period (orders table only), and distinct buyers."""
    base = apply_scope(
        select().select_from(m.Order).where(*in_period(params.period), is_sale()),
        m.Order,
        params.data_scope,
    )
    per_seller = dict(
        session.execute(
            base.add_columns(m.Order.seller_id, order_count()).group_by(m.Order.seller_id)
        ).all()
    )
    buyers = (
        session.scalar(
            base.add_columns(func.count(func.distinct(case((counts_as_order(), m.Order.buyer_id)))))
        )
        or 0
    )
    return {k: int(v) for k, v in per_seller.items()}, int(buyers)


def previous_gross(session: Session, params: ReportParameters, period) -> int:
    """Gross sales of another period, same scope."""
    stmt = sales_select(params.data_scope, period, func.coalesce(func.sum(m.OrderLine.gross), 0))
    return int(session.scalar(stmt) or 0)


def _sellers(session: Session, ids) -> dict[int, tuple]:
    """(name, is_pioneer, 2015 province id, 2025 province id) of the given sellers."""
    if not ids:
        return {}
    rows = session.execute(
        select(
            m.Cooperative.id,
            m.Cooperative.name,
            m.Cooperative.is_pioneer,
            m.Cooperative.province_id,
            m.Cooperative.province_2025_id,
        ).where(m.Cooperative.id.in_(sorted(ids)))
    )
    return {row[0]: tuple(row[1:]) for row in rows}


def summarise(session: Session, params: ReportParameters) -> dict:
    """Key figures, provinces, value chains, top sellers and days, from one pass over the lines."""
    period = params.period
    groups = sales_groups(session, params, period)
    orders, buyers = orders_by_seller(session, params)
    sellers = _sellers(session, {g[0] for g in groups} | set(orders))
    chains = dict(session.execute(select(m.ValueChain.id, m.ValueChain.name)).all())
    provinces = provinces_of_map(session, params.data_scope, params.map_version)

    total, pioneers = _Sums(), _Sums()
    per_seller: dict[int, _Sums] = defaultdict(_Sums)
    per_chain: dict[int, _Sums] = defaultdict(_Sums)
    chain_sellers: dict[int, set] = defaultdict(set)
    per_day: dict[dt.date, int] = defaultdict(int)
    for seller, chain, day, gross, net, tax, lines in groups:
        for sums in (total, per_seller[seller], per_chain[chain]):
            sums.add(gross, net, tax, lines)
        if sellers[seller][1]:
            pioneers.add(gross, net, tax, lines)
        chain_sellers[chain].add(seller)
        per_day[day] += int(gross)

    map_index = 2 if params.map_version == "2015" else 3
    by_province = {
        pid: {"province": p.name, "gross": 0, "tax": 0, "orders": 0, "sellers": 0}
        for pid, p in provinces.items()
    }
    for seller, sums in per_seller.items():
        pid = sellers[seller][map_index]
        if pid not in by_province:
            province = session.get(m.Province, pid)
            by_province[pid] = {
                "province": province.name,
                "gross": 0,
                "tax": 0,
                "orders": 0,
                "sellers": 0,
            }
        row = by_province[pid]
        row["gross"] += sums.gross
        row["tax"] += sums.tax
        row["orders"] += orders.get(seller, 0)
        row["sellers"] += 1
    province_names = {pid: row["province"] for pid, row in by_province.items()}

    top = sorted(per_seller.items(), key=lambda item: (-item[1].gross, sellers[item[0]][0]))[
        :TOP_SELLERS
    ]
    previous = previous_period(period)
    before = previous_gross(session, params, previous)
    # A period still under way is not compared with a whole one (periods.py decides).
    partial = not is_complete(period)
    days, current = [], period.start
    while current <= period.end:
        days.append((current, per_day.get(current, 0)))
        current += dt.timedelta(days=1)
    order_count = sum(orders.get(s, 0) for s in per_seller)
    return {
        "figures": {
            "gross": total.gross,
            "net": total.net,
            "tax": total.tax,
            "orders": order_count,
            "lines": total.lines,
            "sellers": len(per_seller),
            "buyers": buyers,
            "average_order": round_franc(Decimal(total.gross) / order_count) if order_count else 0,
            "previous_label": period_label(previous),
            "previous_gross": before,
            "change": None if partial else _ratio(total.gross - before, before),
            "partial_note": (
                f"Période en cours, incomplète : chiffres au {format_date(today_local())}, "
                f"non comparés à {period_label(previous)}."
                if partial
                else ""
            ),
            "pioneer_gross": pioneers.gross,
            "pioneer_share": _ratio(pioneers.gross, total.gross),
        },
        "provinces": sorted(by_province.values(), key=lambda r: (-r["gross"], r["province"])),
        "chains": sorted(
            (
                {
                    "chain": chains[c],
                    "gross": s.gross,
                    "tax": s.tax,
                    "lines": s.lines,
                    "sellers": len(chain_sellers[c]),
                }
                for c, s in per_chain.items()
            ),
            key=lambda r: (-r["gross"], r["chain"]),
        ),
        "top": [
            {
                "name": sellers[sid][0],
                "pioneer": bool(sellers[sid][1]),
                "province": province_names.get(sellers[sid][map_index], "—"),
                "gross": sums.gross,
                "tax": sums.tax,
                "orders": orders.get(sid, 0),
            }
            for sid, sums in top
        ],
        "days": days,
    }


def mevente(session: Session, params: ReportParameters) -> dict:
    """Offers on sale during the period and the « taux d'écoulement » per value chain.

    The rate is the mévente service's (console.services.mevente.sell_through), the same as the
    dashboard's for the same month and province.
    """
    period = params.period
    per_chain = sell_through_by(
        session, params.data_scope, period.start, period.end, group_by=("value_chain",)
    )
    chains = dict(session.execute(select(m.ValueChain.id, m.ValueChain.name)).all())
    rows = [
        _mevente_row(chains.get(chain_id, "—"), figures)
        for (chain_id,), figures in per_chain.items()
    ]
    rows.sort(key=lambda r: (r["rate"] if r["rate"] is not None else Decimal(2), r["chain"]))
    return {
        "rows": rows,
        **_mevente_row(None, sell_through_total(per_chain.values())),
        "label": SELL_THROUGH_LABEL,
        "definition": SELL_THROUGH_DEFINITION,
    }


def _mevente_row(chain: str | None, figures) -> dict:
    return {
        "chain": chain,
        "listings": figures.listings,
        "unsold": figures.unsold,
        "opening": figures.opening,
        "offered": figures.offered,
        "sold": figures.sold,
        "rate": figures.rate,
    }


def collect(session: Session, params: ReportParameters) -> dict:
    """All the figures of the report, with its charts."""
    data = summarise(session, params)
    every = -(-len(data["days"]) // 10)  # about ten date labels under the chart
    return data | {
        "mevente": mevente(session, params),
        "chart_provinces": bar_chart([(r["province"], r["gross"]) for r in data["provinces"]]),
        "chart_chains": bar_chart(
            [(r["chain"], r["gross"]) for r in data["chains"]], color="#3C7A5E"
        ),
        "chart_days": column_chart([(f"{d:%d/%m}", g) for d, g in data["days"]], label_every=every),
    }


def excel(session: Session, data: dict, params: ReportParameters) -> list[Section]:
    """One sheet per section of the PDF."""
    f = data["figures"]
    key_rows = [
        *([(f["partial_note"], None, None, None)] if f.get("partial_note") else []),
        ("Ventes TTC", f["gross"], None, None),
        ("Ventes hors taxe", f["net"], None, None),
        ("Taxes dues sur les ventes", f["tax"], None, None),
        ("Commandes", None, f["orders"], None),
        ("Lignes de commande", None, f["lines"], None),
        ("Vendeurs actifs", None, f["sellers"], None),
        ("Acheteurs", None, f["buyers"], None),
        ("Panier moyen TTC", f["average_order"], None, None),
        (f"Ventes TTC — {f['previous_label']}", f["previous_gross"], None, None),
        ("Évolution des ventes TTC", None, None, f["change"]),
        ("Ventes TTC des pionnières", f["pioneer_gross"], None, None),
        ("Part des pionnières", None, None, f["pioneer_share"]),
    ]
    mv = data["mevente"]
    return [
        Section(
            "Chiffres clés",
            [
                Column("Indicateur", width=36),
                Column("Montant", "francs", 18),
                Column("Nombre", "int"),
                Column("Taux", "percent"),
            ],
            key_rows,
        ),
        Section(
            "Par province",
            [
                Column("Province"),
                Column("Ventes TTC", "francs"),
                Column("Taxes", "francs"),
                Column("Commandes", "int"),
                Column("Vendeurs actifs", "int"),
            ],
            [
                (r["province"], r["gross"], r["tax"], r["orders"], r["sellers"])
                for r in data["provinces"]
            ],
        ),
        Section(
            "Par filière",
            [
                Column("Filière"),
                Column("Ventes TTC", "francs"),
                Column("Taxes", "francs"),
                Column("Lignes", "int"),
                Column("Vendeurs actifs", "int"),
            ],
            [(r["chain"], r["gross"], r["tax"], r["lines"], r["sellers"]) for r in data["chains"]],
        ),
        Section(
            "Meilleurs vendeurs",
            [
                Column("Rang", "int", 7),
                Column("Vendeur", width=40),
                Column("Pionnière"),
                Column("Province"),
                Column("Ventes TTC", "francs"),
                Column("Taxes", "francs"),
                Column("Commandes", "int"),
            ],
            [
                (
                    i,
                    r["name"],
                    "Oui" if r["pioneer"] else "Non",
                    r["province"],
                    r["gross"],
                    r["tax"],
                    r["orders"],
                )
                for i, r in enumerate(data["top"], 1)
            ],
        ),
        Section(
            "Mévente",
            [
                Column("Filière"),
                Column("Offres en ligne", "int"),
                Column("Offres sans vente", "int"),
                Column("Stock au début", "francs"),
                Column("Valeur offerte", "francs"),
                Column("Valeur vendue", "francs"),
                Column(SELL_THROUGH_LABEL, "percent"),
            ],
            [
                (
                    r["chain"],
                    r["listings"],
                    r["unsold"],
                    r["opening"],
                    r["offered"],
                    r["sold"],
                    r["rate"],
                )
                for r in mv["rows"]
            ],
            notes=[SELL_THROUGH_DEFINITION],
        ),
        Section(
            "Ventes par jour",
            [Column("Jour", "date"), Column("Ventes TTC", "francs")],
            data["days"],
        ),
    ]


SPEC = ReportSpec(
    key="ventes-mensuel",
    title="Rapport mensuel des ventes",
    resource="SalesReportView",
    parameters=("period", "province", "map"),
    collect=collect,
    template="reports/pdf/sales.html",
    excel=excel,
    description="Chiffres clés, ventes par province et par filière, meilleurs vendeurs et indicateurs "
    "de mévente, national ou pour une province.",
    is_large=national,
)
