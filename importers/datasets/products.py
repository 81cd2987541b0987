"""Products offered by sellers, keyed by SKU."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

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
        "code produit, reference produit, product code, product sku",
        "KI-HAR-001",
        required=True,
        help="Code unique du produit sur la plateforme : la clé (une ligne par SKU).",
    ),
    column(
        "name",
        "Nom du produit",
        cells.text(160),
        "nom, produit, designation, product, product name, name",
        "Haricot sec jaune",
        required=True,
    ),
    column(
        "cooperative",
        "Coopérative",
        cells.text(200),
        "vendeur, numero d'enregistrement, seller, cooperative",
        "ANACOOP/2021/0042",
        required=True,
        help="Numéro d'enregistrement ou nom de la coopérative vendeuse.",
    ),
    column(
        "category",
        "Catégorie",
        cells.text(120),
        "category",
        "haricot-sec",
        required=True,
        help="Code ou nom de la catégorie (liste dans Marché → Catégories).",
    ),
    column(
        "unit",
        "Unité",
        cells.text(40),
        "unite de mesure, unit",
        "kg",
        required=True,
        help="kg, l ou piece (ou Kilogramme, Litre, Pièce).",
    ),
)


class ProductImporter(RowImporter):
    model = m.Product

    def key(self, row: ParsedRow):
        sku = row.values.get("sku")
        return (code_key(sku),) if sku else None

    def existing(self, keys: Iterable[tuple]) -> dict:
        wanted = [k[0] for k in keys]
        found = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            for product in self.session.scalars(select(m.Product).where(m.Product.sku.in_(chunk))):
                found[(code_key(product.sku),)] = product
        # SKUs written with other case or spaces still match the stored one.
        missing = set(wanted) - {k[0] for k in found}
        if missing:
            for product in self.session.scalars(select(m.Product)):
                if code_key(product.sku) in missing:
                    found[(code_key(product.sku),)] = product
        return found

    def values(self, row: ParsedRow, target):
        cooperative = self.resolve(row, "cooperative", self.refs.cooperative)
        category = self.resolve(row, "category", self.refs.category)
        unit = self.resolve(row, "unit", self.refs.unit)
        if None in (cooperative, category, unit):
            return None
        if target is not None and target.cooperative_id != cooperative.id:
            self.error(
                row,
                "sku",
                ("Ce SKU appartient déjà à une autre coopérative : choisissez un autre SKU."),
            )
            return None
        values = {
            "name": row.values["name"],
            "cooperative_id": cooperative.id,
            "category_id": category,
            "unit_id": unit,
        }
        if target is None:
            values["sku"] = row.values["sku"]
        return values


DATASET = Dataset(
    kind="products",
    label="Produits",
    columns=COLUMNS,
    key=("sku",),
    resource="ProductImportView",
    description="Les produits des vendeurs, par SKU.",
    importer=ProductImporter,
    notes=("Un SKU déjà enregistré pour une autre coopérative est refusé (pas de transfert).",),
)
