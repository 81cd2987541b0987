"""Value chains, product categories, units and default tax rules.

Prices are typical farm-gate / market prices in BIF per unit (DOMAIN.md); the demo
data draws around them. Tax rules are editable rows: the exact reduced-rate and exempt
lists are unconfirmed, so an administrator closes and replaces them as the law says.
"""

import datetime as dt
from decimal import Decimal

# code, name
VALUE_CHAINS = [
    ("cafe", "Café"),
    ("riz", "Riz"),
    ("haricot", "Haricot"),
    ("mais", "Maïs"),
    ("palmier", "Palmier à huile"),
    ("lait", "Lait"),
    ("miel", "Miel"),
    ("tomate", "Tomate"),
    ("cuir", "Cuir"),
    ("foyers", "Foyers améliorés"),
    ("poisson", "Poisson"),
    ("manioc", "Manioc"),
]

# code, name, value chain, unit, processed?, raw material?, typical price (BIF per unit)
CATEGORIES = [
    ("cafe-cerise", "Café cerise", "cafe", "kg", False, True, 700),
    ("cafe-vert", "Café vert (marchand)", "cafe", "kg", True, True, 6500),
    ("riz-paddy", "Riz paddy", "riz", "kg", False, True, 480),
    ("riz-blanc", "Riz décortiqué", "riz", "kg", True, False, 3200),
    ("haricot-sec", "Haricot sec", "haricot", "kg", False, False, 2900),
    ("mais-grain", "Maïs grain", "mais", "kg", False, True, 1100),
    ("farine-mais", "Farine de maïs", "mais", "kg", True, False, 2200),
    ("noix-palme", "Régimes de noix de palme", "palmier", "kg", False, True, 400),
    ("huile-palme", "Huile de palme", "palmier", "l", True, True, 5500),
    ("savon", "Savon de ménage", "palmier", "piece", True, False, 1500),
    ("lait-frais", "Lait frais", "lait", "l", False, True, 1200),
    ("yaourt", "Yaourt", "lait", "l", True, False, 4000),
    ("fromage", "Fromage", "lait", "kg", True, False, 18000),
    ("miel", "Miel", "miel", "kg", False, False, 15000),
    ("tomate-fraiche", "Tomate fraîche", "tomate", "kg", False, True, 1500),
    ("concentre-tomate", "Concentré de tomate", "tomate", "piece", True, False, 2500),
    ("peaux", "Peaux brutes", "cuir", "piece", False, True, 8000),
    ("maroquinerie", "Articles en cuir", "cuir", "piece", True, False, 35000),
    ("foyer-ameliore", "Foyer amélioré", "foyers", "piece", True, False, 25000),
    ("poisson-frais", "Poisson frais (ndagala)", "poisson", "kg", False, False, 9000),
    ("manioc-cossettes", "Cossettes de manioc", "manioc", "kg", False, True, 900),
    ("farine-manioc", "Farine de manioc", "manioc", "kg", True, False, 1800),
]

# raw material category → categories made from it (editable reference for matchmaking)
RAW_MATERIAL_OF = {
    "cafe-cerise": ["cafe-vert"],
    "riz-paddy": ["riz-blanc"],
    "mais-grain": ["farine-mais"],
    "noix-palme": ["huile-palme"],
    "huile-palme": ["savon"],
    "lait-frais": ["yaourt", "fromage"],
    "tomate-fraiche": ["concentre-tomate"],
    "peaux": ["maroquinerie"],
    "manioc-cossettes": ["farine-manioc"],
}

UNITS = [("kg", "Kilogramme"), ("l", "Litre"), ("piece", "Pièce")]

VAT_LAW = "Loi n°1/02 du 17 février 2009 portant institution de la TVA, révisée en 2013"
DIVIDEND_LAW = "Retenue de 15 % sur les dividendes versés aux membres"
VAT_START = dt.date(2013, 7, 1)

# code, name, kind, base, rate, exemption?, category code or None, seller condition,
# valid from, legal reference
TAX_RULES = [
    (
        "TVA-18",
        "TVA au taux normal",
        "vat",
        "sale",
        Decimal("0.18"),
        False,
        None,
        "vat_registered",
        VAT_START,
        VAT_LAW,
    ),
    *[
        (
            f"TVA-10-{code}",
            f"TVA au taux réduit — {name}",
            "vat",
            "sale",
            Decimal("0.10"),
            False,
            code,
            "vat_registered",
            VAT_START,
            VAT_LAW + " — produits agricoles, d'élevage et de pêche non transformés",
        )
        for code, name, _chain, _unit, processed, _raw, _price in CATEGORIES
        if not processed
    ],
    (
        "RET-DIV-15",
        "Retenue sur dividendes versés aux membres",
        "withholding",
        "dividend",
        Decimal("0.15"),
        False,
        None,
        "any",
        VAT_START,
        DIVIDEND_LAW,
    ),
]
