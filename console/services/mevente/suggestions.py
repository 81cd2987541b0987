"""What people do with buyer suggestions: mark them, link the sale, count what became sales.

Every read and write goes through the province scope of the seller cooperative: a
coordinator sees, marks and exports only their provinces' suggestions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from console import models as m
from console.formatting import format_date
from console.models.mevente import MatchSuggestion, MatchSuggestionEvent, SuggestionStatus
from console.models.types import utcnow
from console.security.scoping import ProvinceScope, apply_scope, scope_clause
from console.services.mevente.errors import MeventeInputError, MeventeNotFound, clean_note, parse_id
from console.services.mevente.matchmaking import UNIT_LABELS
from console.services.sales import is_sale

STATUS_BY_VALUE = {s.value: s for s in SuggestionStatus}


def scoped_suggestion(session: Session, scope: ProvinceScope, raw_id) -> MatchSuggestion:
    """The suggestion with this id in the scope, else MeventeNotFound."""
    suggestion_id = parse_id(raw_id)
    stmt = apply_scope(
        select(MatchSuggestion).where(MatchSuggestion.id == suggestion_id), MatchSuggestion, scope
    )
    suggestion = session.scalar(stmt)
    if suggestion is None:
        raise MeventeNotFound("Suggestion introuvable.")
    return suggestion


def scoped_cooperative(session: Session, scope: ProvinceScope, raw_id) -> m.Cooperative:
    """A cooperative of the scope, else MeventeNotFound."""
    coop_id = parse_id(raw_id)
    stmt = apply_scope(
        select(m.Cooperative).where(m.Cooperative.id == coop_id), m.Cooperative, scope
    )
    coop = session.scalar(stmt)
    if coop is None:
        raise MeventeNotFound("Coopérative introuvable.")
    return coop


def parse_status(raw) -> SuggestionStatus:
    """A suggestion status from its value, else a French error listing the valid ones."""
    status = STATUS_BY_VALUE.get(str(raw or "").strip())
    if status is None:
        valid = ", ".join(f"« {s.label} »" for s in SuggestionStatus)
        raise MeventeInputError(
            f"Statut inconnu : « {str(raw or '')[:40]} ». Choisissez parmi {valid}."
        )
    return status


def _order_between(session: Session, suggestion: MatchSuggestion, reference: str) -> m.Order:
    """The order with this reference if it links the two parties after the suggestion."""
    order = session.scalar(select(m.Order).where(m.Order.reference == reference))
    if order is None:
        raise MeventeInputError(f"Aucune commande ne porte la référence « {reference[:60]} ».")
    buyer = order.buyer
    same_buyer = (suggestion.buyer_id is not None and order.buyer_id == suggestion.buyer_id) or (
        suggestion.buyer_cooperative_id is not None
        and buyer.cooperative_id == suggestion.buyer_cooperative_id
    )
    if order.seller_id != suggestion.seller_id or not same_buyer:
        raise MeventeInputError(
            f"La commande « {reference[:60]} » n'est pas passée entre {suggestion.seller.name} "
            f"et {suggestion.candidate_name}."
        )
    if order.placed_at < suggestion.created_at:
        raise MeventeInputError(
            f"La commande « {reference[:60]} » date du {format_date(order.placed_at)}, avant la suggestion "
            f"du {format_date(suggestion.created_at)} : elle ne peut pas en être le résultat."
        )
    if not is_sale(order):
        raise MeventeInputError(f"La commande « {reference[:60]} » est annulée.")
    return order


def change_status(
    session: Session,
    scope: ProvinceScope,
    raw_id,
    raw_status,
    user,
    note=None,
    order_reference=None,
) -> MatchSuggestion:
    """Mark a suggestion contacted, concluded, dismissed or proposed again. Does not commit.

    Every input is checked before anything changes; a dismissal needs a reason.
    """
    suggestion = scoped_suggestion(session, scope, raw_id)
    status = parse_status(raw_status)
    text = clean_note(note, required=status == SuggestionStatus.DISMISSED)
    reference = (order_reference or "").strip()
    order = _order_between(session, suggestion, reference) if reference else None
    if status == suggestion.status and order is None:
        raise MeventeInputError(f"La suggestion est déjà « {status.label} ».")
    now = utcnow()
    previous = suggestion.status
    suggestion.status = status
    suggestion.status_changed_at = now
    suggestion.status_changed_by_id = getattr(user, "id", None)
    suggestion.status_changed_by = getattr(user, "username", None) or "système"
    suggestion.status_note = text
    if order is not None:
        suggestion.order_id = order.id
    suggestion.events.append(
        MatchSuggestionEvent(
            at=now,
            user_id=suggestion.status_changed_by_id,
            username=suggestion.status_changed_by,
            from_status=previous.value,
            to_status=status.value,
            note=text,
            order_id=order.id if order is not None else None,
        )
    )
    session.flush()
    return suggestion


SUGGESTION_COLUMNS = [
    "id",
    "rank",
    "score",
    "status",
    "status_label",
    "seller_id",
    "seller",
    "seller_province",
    "seller_phone",
    "category",
    "unsold_quantity",
    "unit",
    "per_unit",
    "listing_price",
    "oldest_listed_at",
    "candidate",
    "candidate_kind",
    "candidate_province",
    "candidate_phone",
    "distance_km",
    "reasons",
    "order_reference",
    "status_changed_by",
    "status_changed_at",
    "status_note",
]


def suggestions_frame(
    session: Session,
    scope: ProvinceScope,
    *,
    cooperative_id: int | None = None,
    statuses: list[SuggestionStatus] | None = None,
    value_chain_id: int | None = None,
) -> pd.DataFrame:
    """Suggestions the scope may see, by seller then rank, as a DataFrame (dashboard)."""
    records = suggestion_records(
        session,
        scope,
        cooperative_id=cooperative_id,
        statuses=statuses,
        value_chain_id=value_chain_id,
    )
    return pd.DataFrame(records, columns=SUGGESTION_COLUMNS)


def suggestion_records(
    session: Session,
    scope: ProvinceScope,
    *,
    cooperative_id: int | None = None,
    statuses: list[SuggestionStatus] | None = None,
    value_chain_id: int | None = None,
) -> list[dict]:
    """Suggestions the scope may see, by seller then rank, as plain dicts (pages and export)."""
    s = MatchSuggestion
    seller = aliased(m.Cooperative)
    candidate_coop = aliased(m.Cooperative)
    seller_province = aliased(m.Province)
    buyer_province = aliased(m.Province)
    coop_province = aliased(m.Province)
    stmt = (
        select(
            s.id,
            s.rank,
            s.score,
            s.status,
            s.seller_id,
            seller.name,
            seller_province.name,
            seller.phone,
            m.Category.name,
            s.unsold_quantity,
            m.Unit.code,
            s.listing_price,
            s.oldest_listed_at,
            func.coalesce(m.Buyer.name, candidate_coop.name),
            m.Buyer.kind,
            func.coalesce(coop_province.name, buyer_province.name),
            candidate_coop.phone,
            s.distance_km,
            s.reasons,
            m.Order.reference,
            s.status_changed_by,
            s.status_changed_at,
            s.status_note,
        )
        .join(seller, seller.id == s.seller_id)
        .join(seller_province, seller_province.id == seller.province_id)
        .join(m.Category, m.Category.id == s.category_id)
        .join(m.Listing, m.Listing.id == s.listing_id)
        .join(m.Product, m.Product.id == m.Listing.product_id)
        .join(m.Unit, m.Unit.id == m.Product.unit_id)
        .outerjoin(m.Buyer, m.Buyer.id == s.buyer_id)
        .outerjoin(buyer_province, buyer_province.id == m.Buyer.province_id)
        .outerjoin(
            candidate_coop,
            candidate_coop.id == func.coalesce(s.buyer_cooperative_id, m.Buyer.cooperative_id),
        )
        .outerjoin(coop_province, coop_province.id == candidate_coop.province_id)
        .outerjoin(m.Order, m.Order.id == s.order_id)
        .order_by(seller.name, m.Category.name, s.rank, s.id)
    )
    if cooperative_id is not None:
        stmt = stmt.where(s.seller_id == cooperative_id)
    if statuses:
        stmt = stmt.where(s.status.in_(statuses))
    if value_chain_id is not None:
        stmt = stmt.where(m.Category.value_chain_id == value_chain_id)
    rows = session.execute(apply_scope(stmt, s, scope)).all()
    records = []
    for r in rows:
        records.append(
            {
                "id": r[0],
                "rank": r[1],
                "score": r[2],
                "status": r[3].value,
                "status_label": r[3].label,
                "seller_id": r[4],
                "seller": r[5],
                "seller_province": r[6],
                "seller_phone": r[7],
                "category": r[8],
                "unsold_quantity": r[9],
                "unit": UNIT_LABELS.get(r[10], (r[10], r[10]))[0],
                "per_unit": UNIT_LABELS.get(r[10], (r[10], r[10]))[1],
                "listing_price": r[11],
                "oldest_listed_at": r[12],
                "candidate": r[13],
                "candidate_kind": r[14].label
                if r[14] is not None
                else "Coopérative (transformatrice)",
                "candidate_province": r[15],
                "candidate_phone": r[16],
                "distance_km": r[17],
                "reasons": list(r[18] or []),
                "order_reference": r[19],
                "status_changed_by": r[20],
                "status_changed_at": r[21],
                "status_note": r[22],
            }
        )
    return records


@dataclass
class SuggestionOutcomes:
    """How many suggestions became sales, for the scope."""

    total: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    with_order: int = 0
    sales_value: int = 0  # gross francs of the linked orders
    by_province: list[dict] = field(default_factory=list)

    @property
    def conversion_rate(self) -> Decimal | None:
        """Share of suggestions that led to an order."""
        if not self.total:
            return None
        return (Decimal(self.with_order) / Decimal(self.total)).quantize(
            Decimal("0.0001"), ROUND_HALF_UP
        )


def suggestion_outcomes(session: Session, scope: ProvinceScope) -> SuggestionOutcomes:
    """Counts by status, suggestions linked to an order, and those orders' value, per province."""
    s = MatchSuggestion
    province = aliased(m.Province)
    counts = session.execute(
        apply_scope(
            select(province.name, s.status, func.count(s.id), func.count(s.order_id))
            .join(m.Cooperative, m.Cooperative.id == s.seller_id)
            .join(province, province.id == m.Cooperative.province_2025_id)
            .group_by(province.name, s.status),
            s,
            scope,
        )
    ).all()
    order_ids = select(s.order_id).where(s.order_id.is_not(None))
    clause = scope_clause(s, scope)
    if clause is not None:
        order_ids = order_ids.where(clause)
    value_rows = session.execute(
        select(province.name, func.coalesce(func.sum(m.OrderLine.gross), 0))
        .join(m.Order, m.Order.id == m.OrderLine.order_id)
        .join(m.Cooperative, m.Cooperative.id == m.Order.seller_id)
        .join(province, province.id == m.Cooperative.province_2025_id)
        .where(m.Order.id.in_(order_ids.distinct()))
        .group_by(province.name)
    ).all()
    values = {name: int(v) for name, v in value_rows}
    outcomes = SuggestionOutcomes(by_status={st.value: 0 for st in SuggestionStatus})
    per_province: dict[str, dict] = {}
    for name, status, count, linked in counts:
        outcomes.total += count
        outcomes.by_status[status.value] += count
        outcomes.with_order += linked
        row = per_province.setdefault(
            name,
            {
                "province": name,
                "total": 0,
                "with_order": 0,
                **{st.value: 0 for st in SuggestionStatus},
            },
        )
        row["total"] += count
        row["with_order"] += linked
        row[status.value] += count
    for name, row in per_province.items():
        row["sales_value"] = values.get(name, 0)
    outcomes.sales_value = sum(values.values())
    outcomes.by_province = sorted(per_province.values(), key=lambda r: r["province"])
    return outcomes
