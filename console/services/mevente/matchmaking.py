"""Raw-material matchmaking: likely buyers for stock a cooperative has not sold after N days.

Candidates for a category left unsold:
- buyers (businesses and cooperatives) who bought that category before — consumers
  buy for a household, not a cooperative's stock;
- cooperatives whose products use it as an input (the raw-material relations);
each weighed by volume, price paid, recency and road distance, with French reasons
that carry the figures. Storing them is console.services.mevente.suggestion_refresh's job.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import extract, func, or_, select
from sqlalchemy.orm import Session

from console import models as m
from console.formatting import format_date, format_quantity
from console.models.mevente import (
    ProvinceDistance,
    RawMaterialRelation,
)
from console.services.money import format_francs, round_franc
from console.services.periods import local_midnight_utc
from console.services.sales import is_sale

# Scoring weights (they sum to 1). Each part of the score lies between 0 and 1.
# Volume: a buyer who already takes quantities like the unsold stock can clear it in one deal.
WEIGHT_VOLUME = 0.30
# Price: a buyer used to paying the listing price spares the cooperative a sale at a loss.
WEIGHT_PRICE = 0.20
# Recency: a recent purchase shows a need that still exists.
WEIGHT_RECENCY = 0.15
# Processing: a processor needs the input every season, even before it bought on the platform.
WEIGHT_PROCESSING = 0.15
# Distance: transport eats the margin; cooperatives said they travelled far to find buyers.
WEIGHT_DISTANCE = 0.20

RECENCY_HALF_LIFE_DAYS = 180  # a purchase six months old counts half
DISTANCE_HALF_KM = 100  # 100 km halves the distance part; the same province scores 1
UNKNOWN_DISTANCE_SCORE = 0.2  # buyer abroad or province unknown: possible, not close
PURCHASE_LOOKBACK_DAYS = 730
MAX_SUGGESTIONS = 5  # per cooperative and category: a list a coordinator can call through
BUYER_KINDS = (m.BuyerKind.BUSINESS, m.BuyerKind.COOPERATIVE)
UNIT_LABELS = {"kg": ("kg", "kg"), "l": ("l", "l"), "piece": ("pièces", "pièce")}
# Head nouns of categories that take "la" (the reasons read "utilise la tomate fraîche").
FEMININE_HEADS = {
    "tomate",
    "farine",
    "huile",
    "noix",
    "peau",
    "cerise",
    "graine",
    "banane",
    "pomme",
    "canne",
    "viande",
    "laine",
    "cire",
    "patate",
    "feuille",
    "racine",
}
# Singular head nouns that end like plurals.
SINGULAR_HEADS = {"maïs", "riz", "jus", "pois", "ananas", "miel"}


def with_article(name: str) -> str:
    """A category name in lower case with its French definite article."""
    text = name.strip().lower()
    head = text.split(" ", 1)[0]
    if head[:1] in "aeiouyhéèêàâîôû":
        return f"l'{text}"
    if head.endswith(("s", "x")) and head not in SINGULAR_HEADS:
        return f"les {text}"
    return f"la {text}" if head in FEMININE_HEADS else f"le {text}"


@dataclass(frozen=True)
class Location:
    """Where a party is, on each map (either may be unknown)."""

    province_2015: int | None
    province_2025: int | None


@dataclass(frozen=True)
class StaleStock:
    """A cooperative's stock of one category left unsold past the age threshold."""

    seller_id: int
    seller_name: str
    category_id: int
    category_name: str
    value_chain_id: int
    unit_code: str
    quantity: Decimal
    price: int  # quantity-weighted listing price
    oldest_listing_id: int
    oldest_listed_at: dt.datetime
    location: Location


@dataclass
class Purchase:
    """A buyer's purchases of one category: the latest calendar year, and the last date."""

    year: int
    quantity: Decimal
    amount: int  # Σ quantity × unit price over that year, whole francs
    last_at: dt.datetime

    @functools.cached_property
    def unit_price(self) -> int:
        return round_franc(Decimal(self.amount) / self.quantity) if self.quantity else 0


@dataclass
class Candidate:
    key: str
    name: str
    location: Location
    buyer_id: int | None = None
    cooperative_id: int | None = None
    abroad: bool = False
    purchase: Purchase | None = None
    processes: list[str] = field(default_factory=list)  # output categories it makes


@dataclass(frozen=True)
class RankedSuggestion:
    stock: StaleStock
    candidate: Candidate
    score: float
    parts: dict[str, float]
    reasons: list[str]
    distance_km: int | None


class DistanceTable:
    """The editable province distances, both directions, with province names."""

    def __init__(self, session: Session):
        self.km: dict[tuple[int, int], int] = {}
        for row in session.scalars(select(ProvinceDistance)):
            self.km[(row.from_province_id, row.to_province_id)] = row.distance_km
            self.km[(row.to_province_id, row.from_province_id)] = row.distance_km
        self.names = dict(session.execute(select(m.Province.id, m.Province.name)).all())
        self.maps = {
            p.id: (p.map_version, p.successor_id) for p in session.scalars(select(m.Province))
        }

    def location_of(self, province_id: int | None) -> Location:
        """A province of either map as a location on both."""
        if province_id is None or province_id not in self.maps:
            return Location(None, None)
        version, successor = self.maps[province_id]
        return (
            Location(province_id, successor) if version == "2015" else Location(None, province_id)
        )

    def between(self, a: Location, b: Location) -> tuple[int | None, str | None]:
        """(km, "Gitega → Ngozi : 95 km") on the finest map both are known on."""
        for x, y in ((a.province_2015, b.province_2015), (a.province_2025, b.province_2025)):
            if x is None or y is None:
                continue
            if x == y:
                return 0, f"même province ({self.names[x]})"
            if (x, y) in self.km:
                km = self.km[(x, y)]
                return km, f"{self.names[x]} → {self.names[y]} : {km} km"
        return None, None


@functools.lru_cache(maxsize=64)
def _utc(day: dt.date) -> dt.datetime:
    """The end of ``day`` in Bujumbura, as aware UTC."""
    return local_midnight_utc(day + dt.timedelta(days=1))


def stale_stock(
    session: Session, as_of: dt.date, age_days: dict[int, int], default_age: int
) -> list[StaleStock]:
    """Per cooperative and category: open listings older than the threshold with stock left."""
    now = _utc(as_of)
    sold = (
        select(m.OrderLine.listing_id, func.sum(m.OrderLine.quantity).label("qty"))
        .join(m.Order, m.Order.id == m.OrderLine.order_id)
        .where(m.OrderLine.listing_id.is_not(None), is_sale(), m.Order.placed_at < now)
        .group_by(m.OrderLine.listing_id)
        .subquery()
    )
    youngest = min([default_age, *age_days.values()])
    stmt = (
        select(
            m.Listing.id,
            m.Listing.quantity_offered,
            m.Listing.unit_price,
            m.Listing.listed_at,
            func.coalesce(sold.c.qty, 0),
            m.Product.category_id,
            m.Category.name,
            m.Category.value_chain_id,
            m.Unit.code,
            m.Cooperative.id,
            m.Cooperative.name,
            m.Cooperative.province_id,
            m.Cooperative.province_2025_id,
        )
        .join(m.Product, m.Product.id == m.Listing.product_id)
        .join(m.Category, m.Category.id == m.Product.category_id)
        .join(m.Unit, m.Unit.id == m.Product.unit_id)
        .join(m.Cooperative, m.Cooperative.id == m.Listing.cooperative_id)
        .outerjoin(sold, sold.c.listing_id == m.Listing.id)
        .where(
            m.Listing.listed_at <= now - dt.timedelta(days=youngest),
            or_(m.Listing.closed_at.is_(None), m.Listing.closed_at > now),
            m.Cooperative.status == m.CooperativeStatus.ACTIVE,
        )
    )
    groups: dict[tuple[int, int], list] = defaultdict(list)
    for row in session.execute(stmt):
        remaining = Decimal(row[1]) - Decimal(row[4])
        if remaining <= 0:
            continue
        if row[3] > now - dt.timedelta(days=age_days.get(row[7], default_age)):
            continue
        groups[(row[9], row[5])].append((row, remaining))
    stocks = []
    for (seller, category), rows in sorted(groups.items()):
        quantity = sum((r for _, r in rows), Decimal(0))
        amount = sum((r * Decimal(row[2]) for row, r in rows), Decimal(0))
        oldest, _ = min(rows, key=lambda item: (item[0][3], item[0][0]))
        stocks.append(
            StaleStock(
                seller_id=seller,
                seller_name=oldest[10],
                category_id=category,
                category_name=oldest[6],
                value_chain_id=oldest[7],
                unit_code=oldest[8],
                quantity=quantity,
                price=round_franc(amount / quantity),
                oldest_listing_id=oldest[0],
                oldest_listed_at=oldest[3],
                location=Location(oldest[11], oldest[12]),
            )
        )
    return stocks


def purchases_by_buyer(
    session: Session, as_of: dt.date, category_ids: set[int]
) -> dict[tuple[int, int], Purchase]:
    """(buyer, category) → the latest year's purchases by businesses and cooperatives."""
    if not category_ids:
        return {}
    now = _utc(as_of)
    year = extract("year", m.Order.placed_at)
    stmt = (
        select(
            m.Order.buyer_id,
            m.Product.category_id,
            year,
            m.OrderLine.unit_price,
            func.sum(m.OrderLine.quantity),
            func.max(m.Order.placed_at),
        )
        .select_from(m.OrderLine)
        .join(m.Order, m.Order.id == m.OrderLine.order_id)
        .join(m.Product, m.Product.id == m.OrderLine.product_id)
        .join(m.Buyer, m.Buyer.id == m.Order.buyer_id)
        .where(
            m.Product.category_id.in_(category_ids),
            m.Buyer.kind.in_(BUYER_KINDS),
            is_sale(),
            m.Order.placed_at < now,
            m.Order.placed_at >= now - dt.timedelta(days=PURCHASE_LOOKBACK_DAYS),
        )
        .group_by(m.Order.buyer_id, m.Product.category_id, year, m.OrderLine.unit_price)
    )
    years: dict[tuple[int, int], dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for buyer, category, y, price, quantity, last in session.execute(stmt):
        years[(buyer, category)][int(y)].append((int(price), Decimal(quantity), last))
    result = {}
    for key, by_year in years.items():
        latest = max(by_year)
        rows = by_year[latest]
        quantity = sum((q for _, q, _ in rows), Decimal(0))
        amount = round_franc(sum((q * p for p, q, _ in rows), Decimal(0)))
        last = max(_aware(last) for _, _, last in rows)
        result[key] = Purchase(latest, quantity, amount, last)
    return result


def _aware(value) -> dt.datetime:
    """func.max() loses the column type on some backends: make the value aware UTC again."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def processors_by_input(
    session: Session, category_ids: set[int]
) -> dict[int, dict[int, list[str]]]:
    """input category → {cooperative id: names of the output categories it makes}."""
    if not category_ids:
        return {}
    out = m.Category
    relation = RawMaterialRelation
    makers = (
        select(relation.input_category_id, m.Product.cooperative_id, out.name)
        .join(out, out.id == relation.output_category_id)
        .join(m.Product, m.Product.category_id == relation.output_category_id)
        .where(relation.input_category_id.in_(category_ids))
        .distinct()
    )
    inputs = select(m.Category.id, m.Category.value_chain_id)
    chain_of = dict(session.execute(inputs).all())
    # Members of another value chain that is built on the input (hides → leather goods).
    members = (
        select(
            relation.input_category_id,
            m.cooperative_value_chain.c.cooperative_id,
            out.name,
            out.value_chain_id,
        )
        .join(out, out.id == relation.output_category_id)
        .join(
            m.cooperative_value_chain,
            m.cooperative_value_chain.c.value_chain_id == out.value_chain_id,
        )
        .where(relation.input_category_id.in_(category_ids))
    )
    result: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for source, coop, name in session.execute(makers):
        if name not in result[source][coop]:
            result[source][coop].append(name)
    for source, coop, name, chain in session.execute(members):
        if chain != chain_of.get(source) and name not in result[source][coop]:
            result[source][coop].append(name)
    return result


def _candidates(
    stock: StaleStock,
    purchases: dict[int, dict[int, Purchase]],
    processors,
    buyers,
    coops,
    buyer_of_coop,
) -> list[Candidate]:
    """Everyone who could take this stock, merged by buyer (a processor that bought is one candidate)."""
    found: dict[str, Candidate] = {}
    for buyer_id, purchase in purchases.get(stock.category_id, {}).items():
        buyer = buyers[buyer_id]
        if buyer["cooperative_id"] == stock.seller_id or buyer["inactive"]:
            continue  # the seller itself, or a suspended or dissolved cooperative
        found[f"buyer:{buyer_id}"] = Candidate(
            key=f"buyer:{buyer_id}",
            name=buyer["name"],
            location=buyer["location"],
            buyer_id=buyer_id,
            cooperative_id=buyer["cooperative_id"],
            abroad=buyer["abroad"],
            purchase=purchase,
        )
    for coop_id, outputs in processors.get(stock.category_id, {}).items():
        coop = coops.get(coop_id)
        if coop is None or coop_id == stock.seller_id:
            continue  # inactive, or the seller itself
        buyer_id = buyer_of_coop.get(coop_id)
        key = f"buyer:{buyer_id}" if buyer_id else f"coop:{coop_id}"
        candidate = found.get(key) or Candidate(
            key=key,
            name=coop["name"],
            location=coop["location"],
            buyer_id=buyer_id,
            cooperative_id=coop_id,
        )
        candidate.processes = list(outputs)
        found[key] = candidate
    return list(found.values())


def score_candidate(
    stock: StaleStock,
    candidate: Candidate,
    distances: DistanceTable,
    as_of: dt.date,
    with_reasons: bool = True,
) -> RankedSuggestion:
    """The weighted score of one candidate and (unless asked not to) its French reasons with the figures."""
    plural, singular = UNIT_LABELS.get(stock.unit_code, (stock.unit_code, stock.unit_code))
    parts = {"volume": 0.0, "price": 0.0, "recency": 0.0, "processing": 0.0, "distance": 0.0}
    reasons = []
    purchase = candidate.purchase
    if purchase is not None and purchase.quantity > 0:
        price = purchase.unit_price
        parts["volume"] = min(1.0, float(purchase.quantity / stock.quantity))
        if stock.price > 0:
            parts["price"] = min(1.0, price / stock.price)
        days = max((_utc(as_of) - purchase.last_at).days, 0)
        parts["recency"] = 0.5 ** (days / RECENCY_HALF_LIFE_DAYS)
        if with_reasons:
            reasons.append(
                f"a acheté {format_quantity(purchase.quantity)} {plural} de {stock.category_name.lower()} "
                f"en {purchase.year} à {format_francs(price)}/{singular} "
                f"(dernier achat le {format_date(purchase.last_at)})"
            )
    for output in candidate.processes:
        parts["processing"] = 1.0
        if with_reasons:
            reasons.append(f"filière {output.lower()} utilise {with_article(stock.category_name)}")
    km, route = distances.between(stock.location, candidate.location)
    if km is None:
        parts["distance"] = UNKNOWN_DISTANCE_SCORE
        reasons.append(
            "acheteur à l'étranger" if candidate.abroad else "province de l'acheteur inconnue"
        )
    else:
        parts["distance"] = 1.0 / (1.0 + km / DISTANCE_HALF_KM)
        reasons.append(route)
    score = (
        WEIGHT_VOLUME * parts["volume"]
        + WEIGHT_PRICE * parts["price"]
        + WEIGHT_RECENCY * parts["recency"]
        + WEIGHT_PROCESSING * parts["processing"]
        + WEIGHT_DISTANCE * parts["distance"]
    )
    return RankedSuggestion(stock, candidate, score, parts, reasons, km)


def rank_candidates(
    stock: StaleStock,
    candidates: list[Candidate],
    distances: DistanceTable,
    as_of: dt.date,
    limit: int = MAX_SUGGESTIONS,
) -> list[RankedSuggestion]:
    """The best ``limit`` candidates, highest score first (ties: name, for a stable order)."""
    scored = [score_candidate(stock, c, distances, as_of, with_reasons=False) for c in candidates]
    scored.sort(key=lambda s: (-s.score, s.candidate.name, s.candidate.key))
    # Reasons are written for the kept candidates only: the text costs more than the score.
    return [score_candidate(stock, s.candidate, distances, as_of) for s in scored[:limit]]


def _parties(session: Session, distances: DistanceTable) -> tuple[dict, dict]:
    """Buyers and active cooperatives, with their locations."""
    coops = {}
    for c in session.execute(
        select(
            m.Cooperative.id,
            m.Cooperative.name,
            m.Cooperative.province_id,
            m.Cooperative.province_2025_id,
            m.Cooperative.status,
        )
    ):
        if c.status == m.CooperativeStatus.ACTIVE:
            coops[c.id] = {"name": c.name, "location": Location(c.province_id, c.province_2025_id)}
    all_coops = dict(session.execute(select(m.Cooperative.id, m.Cooperative.province_id)).all())
    buyers = {}
    for b in session.execute(
        select(
            m.Buyer.id, m.Buyer.name, m.Buyer.province_id, m.Buyer.cooperative_id, m.Buyer.country
        )
    ):
        if b.cooperative_id and b.cooperative_id in coops:
            location = coops[b.cooperative_id]["location"]
        elif b.cooperative_id in all_coops:
            location = distances.location_of(all_coops[b.cooperative_id])
        else:
            location = distances.location_of(b.province_id)
        buyers[b.id] = {
            "name": b.name,
            "cooperative_id": b.cooperative_id,
            "location": location,
            "abroad": (b.country or "BI") != "BI",
            "inactive": bool(b.cooperative_id) and b.cooperative_id not in coops,
        }
    return buyers, coops


def compute_suggestions(
    session: Session, as_of: dt.date, age_days: dict[int, int], default_age: int
) -> list[tuple[int, RankedSuggestion]]:
    """(rank, suggestion) for every stale stock in the country (national: the refresh's view)."""
    stocks = stale_stock(session, as_of, age_days, default_age)
    if not stocks:
        return []
    categories = {s.category_id for s in stocks}
    distances = DistanceTable(session)
    buyers, coops = _parties(session, distances)
    purchases: dict[int, dict[int, Purchase]] = defaultdict(dict)
    for (buyer_id, category), purchase in purchases_by_buyer(session, as_of, categories).items():
        purchases[category][buyer_id] = purchase
    processors = processors_by_input(session, categories)
    buyer_of_coop = {b["cooperative_id"]: bid for bid, b in buyers.items() if b["cooperative_id"]}
    ranked = []
    for stock in stocks:
        candidates = _candidates(stock, purchases, processors, buyers, coops, buyer_of_coop)
        for position, suggestion in enumerate(
            rank_candidates(stock, candidates, distances, as_of), start=1
        ):
            ranked.append((position, suggestion))
    return ranked
