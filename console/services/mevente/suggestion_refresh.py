"""Store the weekly matchmaking: new suggestions, updated ones, and the sales that followed.

Suggestions a coordinator acted on (contactée, conclue, écartée) are never rewritten;
untouched ones follow the new ranking or go when their stock is gone. A later order
between the two parties is linked to the suggestion: that is what the console counts
as a suggestion turned into a sale.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from console import models as m
from console.formatting import format_date
from console.models.mevente import MatchSuggestion, MatchSuggestionEvent, SuggestionStatus
from console.models.types import utcnow
from console.services.mevente.matchmaking import compute_suggestions
from console.services.sales import is_sale


@dataclass
class SuggestionRefresh:
    stale_stocks: int = 0
    proposed: int = 0
    updated: int = 0
    removed: int = 0
    linked_orders: int = 0


def refresh_suggestions(
    session: Session,
    as_of: dt.date,
    age_days: dict[int, int],
    default_age: int,
    actor: tuple[int | None, str] = (None, "système"),
) -> SuggestionRefresh:
    """Link later orders, then store the new ranking; suggestions acted on are kept as they are.

    Untouched ("proposée") suggestions are updated or, when their stock sold or was
    withdrawn and no order was linked, removed. Does not commit.
    """
    summary = SuggestionRefresh(linked_orders=link_later_orders(session, actor))
    ranked = compute_suggestions(session, as_of, age_days, default_age)
    summary.stale_stocks = len({(s.stock.seller_id, s.stock.category_id) for _, s in ranked})
    existing = {
        (s.seller_id, s.category_id, s.candidate_key): s
        for s in session.scalars(select(MatchSuggestion))
    }
    now = utcnow()
    seen = set()
    for position, suggestion in ranked:
        stock, candidate = suggestion.stock, suggestion.candidate
        key = (stock.seller_id, stock.category_id, candidate.key)
        seen.add(key)
        row = existing.get(key)
        if row is not None and row.status != SuggestionStatus.PROPOSED:
            continue
        if row is None:
            row = MatchSuggestion(
                seller_id=stock.seller_id,
                category_id=stock.category_id,
                candidate_key=candidate.key,
                status=SuggestionStatus.PROPOSED,
                created_at=now,
            )
            row.events.append(
                MatchSuggestionEvent(
                    at=now,
                    user_id=actor[0],
                    username=actor[1],
                    from_status=None,
                    to_status=SuggestionStatus.PROPOSED.value,
                )
            )
            session.add(row)
            summary.proposed += 1
        values = {
            "buyer_id": candidate.buyer_id,
            "buyer_cooperative_id": candidate.cooperative_id,
            "listing_id": stock.oldest_listing_id,
            "rank": position,
            "score": Decimal(str(round(suggestion.score, 4))),
            "reasons": suggestion.reasons,
            "unsold_quantity": stock.quantity,
            "listing_price": stock.price,
            "oldest_listed_at": stock.oldest_listed_at,
            "distance_km": suggestion.distance_km,
        }
        changed = {k: v for k, v in values.items() if getattr(row, k, None) != v}
        if not changed:
            continue  # an unchanged suggestion is not rewritten (nor audited) every week
        if row.id is not None:
            summary.updated += 1
        for key, value in changed.items():
            setattr(row, key, value)
        row.updated_at = now
    for key, row in existing.items():
        if key not in seen and row.status == SuggestionStatus.PROPOSED and row.order_id is None:
            session.delete(row)
            summary.removed += 1
    session.flush()
    return summary


def link_later_orders(session: Session, actor: tuple[int | None, str] = (None, "système")) -> int:
    """Link each open suggestion to the first order between its two parties placed after it."""
    pending = list(
        session.scalars(
            select(MatchSuggestion).where(
                MatchSuggestion.order_id.is_(None),
                MatchSuggestion.status != SuggestionStatus.DISMISSED,
            )
        )
    )
    if not pending:
        return 0
    sellers = {s.seller_id for s in pending}
    orders = session.execute(
        select(
            m.Order.id,
            m.Order.reference,
            m.Order.seller_id,
            m.Order.buyer_id,
            m.Buyer.cooperative_id,
            m.Order.placed_at,
        )
        .join(m.Buyer, m.Buyer.id == m.Order.buyer_id)
        .where(m.Order.seller_id.in_(sellers), is_sale())
        .order_by(m.Order.placed_at, m.Order.id)
    ).all()
    by_seller = defaultdict(list)
    for order in orders:
        by_seller[order.seller_id].append(order)
    linked = 0
    now = utcnow()
    for suggestion in pending:
        for order in by_seller[suggestion.seller_id]:
            same_party = (
                suggestion.buyer_id is not None and order.buyer_id == suggestion.buyer_id
            ) or (
                suggestion.buyer_cooperative_id is not None
                and order.cooperative_id == suggestion.buyer_cooperative_id
            )
            if same_party and order.placed_at >= suggestion.created_at:
                suggestion.order_id = order.id
                suggestion.events.append(
                    MatchSuggestionEvent(
                        at=now,
                        user_id=actor[0],
                        username=actor[1],
                        from_status=suggestion.status.value,
                        to_status=suggestion.status.value,
                        order_id=order.id,
                        note=f"Commande {order.reference} du {format_date(order.placed_at)} liée automatiquement.",
                    )
                )
                linked += 1
                break
    session.flush()
    return linked
