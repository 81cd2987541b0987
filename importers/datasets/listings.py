"""Listings (offers of a quantity at a price), keyed by product SKU and listing date."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import select, tuple_

from console import models as m

from .. import cells
from ..references import code_key
from ..rowwise import RowImporter
from ..schema import Dataset, ParsedRow, column

COLUMNS = (
    column(
        "sku",
        "SKU",
        cells.text(40),
        "code produit, product sku, product code",
        "KI-HAR-001",
        required=True,
    ),
    column(
        "listed_at",
        "Date de l'offre",
        cells.datetime,
        "publiee le, date offre, date de publication, listed at, listed on",
        "26/06/2023 09:30",
        required=True,
        help="Date (et heure, facultative) de Bujumbura ; avec le SKU, c'est la clé de l'offre.",
    ),
    column(
        "quantity_offered",
        "Quantité offerte",
        cells.decimal(Decimal(0), Decimal(10**9), positive=True),
        "quantite, quantity, quantity offered",
        "1 250,5",
        required=True,
    ),
    column(
        "unit_price",
        "Prix unitaire",
        cells.money(1, 10**9),
        "prix, prix unitaire fbu, unit price, price",
        "2 900",
        required=True,
        help="Francs burundais entiers, par unité du produit.",
    ),
    column(
        "closed_at",
        "Date de clôture",
        cells.datetime,
        "cloturee le, closed at, closed on",
        "30/07/2023",
    ),
)


class ListingImporter(RowImporter):
    model = m.Listing

    def key(self, row: ParsedRow):
        product = self.resolve(row, "sku", self._product)
        listed_at = row.values.get("listed_at")
        row.values["_product"] = product
        return (product.id, listed_at) if product is not None and listed_at else None

    def _product(self, raw):
        products = self.__dict__.get("_products")
        if products is None:
            rows = self.session.execute(
                select(m.Product.id, m.Product.sku, m.Product.cooperative_id)
            )
            products = self.__dict__["_products"] = {
                code_key(sku): (pid, coop) for pid, sku, coop in rows
            }
        found = products.get(code_key(raw))
        if found is None or not self.refs.cooperative_allowed(found[1]):
            raise cells.CellError(
                "Produit inconnu dans votre périmètre : importez d'abord le produit."
            )
        return _Product(*found)

    def existing(self, keys: Iterable[tuple]) -> dict:
        keys = list(keys)
        found = {}
        for start in range(0, len(keys), 400):
            chunk = keys[start : start + 400]
            query = select(m.Listing).where(
                tuple_(m.Listing.product_id, m.Listing.listed_at).in_(chunk)
            )
            for listing in self.session.scalars(query):
                found[(listing.product_id, listing.listed_at)] = listing
        return found

    def values(self, row: ParsedRow, target):
        v = row.values
        product = v.get("_product")
        if product is None:
            return None
        if v.get("closed_at") and v["closed_at"] < v["listed_at"]:
            self.error(row, "closed_at", "La clôture précède la date de l'offre.")
            return None
        values = {"quantity_offered": v["quantity_offered"], "unit_price": v["unit_price"]}
        if v.get("closed_at"):
            values["closed_at"] = v["closed_at"]
        if target is None:
            values.update(
                product_id=product.id,
                cooperative_id=product.cooperative_id,
                listed_at=v["listed_at"],
            )
        return values


class _Product:
    def __init__(self, product_id: int, cooperative_id: int) -> None:
        self.id, self.cooperative_id = product_id, cooperative_id


DATASET = Dataset(
    kind="listings",
    label="Offres",
    columns=COLUMNS,
    key=("sku", "listed_at"),
    resource="ListingImportView",
    description="Les offres publiées (quantité et prix), par produit et date de publication.",
    importer=ListingImporter,
    notes=("Le produit doit exister : importez les produits avant les offres.",),
)
