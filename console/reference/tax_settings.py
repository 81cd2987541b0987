"""Default tax settings (dated, editable rows) and their idempotent loader.

The VAT registration threshold is *unconfirmed* (DOMAIN.md, "Money and tax"); the
leakage-flag thresholds are Isoko's own audit heuristics. All are rows an administrator
changes by adding a row with a later ``valid_from``; existing rows are never overwritten.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.models.tax_settings import TaxSetting

# Settings apply to all recorded history unless a later row replaces them.
SINCE = dt.date(2000, 1, 1)

VAT_THRESHOLD = "vat_registration_threshold"
DROP_RECENT_MONTHS = "sales_drop_recent_months"
DROP_HISTORY_MONTHS = "sales_drop_history_months"
DROP_RATIO = "sales_drop_ratio"
DROP_MIN_MONTHLY_AVERAGE = "sales_drop_min_monthly_average"
DROP_MIN_HISTORY_MONTHS = "sales_drop_min_history_months"
DROP_MIN_MONTHLY_LINES = "sales_drop_min_monthly_lines"
UNPAID_GRACE_DAYS = "unpaid_grace_days"
REMITTANCE_TOLERANCE = "remittance_short_tolerance"

# key, default value, French description shown to administrators
TAX_SETTINGS: list[tuple[str, Decimal, str]] = [
    (
        VAT_THRESHOLD,
        Decimal(100_000_000),
        "Seuil d'assujettissement à la TVA : chiffre d'affaires sur 12 mois glissants, en FBu "
        "(100 millions, seuil à confirmer auprès de l'OBR).",
    ),
    (
        DROP_RECENT_MONTHS,
        Decimal(3),
        "Baisse soudaine des ventes : nombre de mois récents comparés à l'historique.",
    ),
    (
        DROP_HISTORY_MONTHS,
        Decimal(12),
        "Baisse soudaine des ventes : nombre de mois d'historique précédant les mois récents "
        "(au plus ; un vendeur arrivé pendant cette période est comparé à ses mois depuis sa "
        "première vente).",
    ),
    (
        DROP_RATIO,
        Decimal("0.40"),
        "Baisse soudaine des ventes : signalée quand la moyenne mensuelle récente est inférieure "
        "à cette fraction de la moyenne mensuelle de l'historique (0,40 = 40 %).",
    ),
    (
        DROP_MIN_MONTHLY_AVERAGE,
        Decimal(500_000),
        "Baisse soudaine des ventes : moyenne mensuelle minimale de l'historique (FBu hors taxe) "
        "pour qu'un vendeur soit examiné (évite les petits vendeurs irréguliers).",
    ),
    (
        DROP_MIN_HISTORY_MONTHS,
        Decimal(6),
        "Baisse soudaine des ventes : nombre minimal de mois d'historique depuis la première vente "
        "du vendeur (un vendeur plus récent n'est pas examiné).",
    ),
    (
        DROP_MIN_MONTHLY_LINES,
        Decimal(5),
        "Baisse soudaine des ventes : nombre minimal de lignes de vente par mois en moyenne dans "
        "l'historique (en dessous, trois mois creux peuvent être le fait du hasard).",
    ),
    (
        UNPAID_GRACE_DAYS,
        Decimal(30),
        "Commandes livrées non payées : délai (jours) après la commande avant de la signaler "
        "(laisse le temps aux paiements à crédit).",
    ),
    (
        REMITTANCE_TOLERANCE,
        Decimal(0),
        "Versement insuffisant : écart toléré (FBu) entre la TVA due et la TVA versée.",
    ),
]


# What people call each setting (the keys are for code).
SETTING_NAMES: dict[str, str] = {
    VAT_THRESHOLD: "Seuil d'assujettissement à la TVA (FBu)",
    DROP_RECENT_MONTHS: "Baisse des ventes : mois récents comparés",
    DROP_HISTORY_MONTHS: "Baisse des ventes : mois d'historique",
    DROP_RATIO: "Baisse des ventes : fraction signalée",
    DROP_MIN_MONTHLY_AVERAGE: "Baisse des ventes : moyenne mensuelle minimale (FBu)",
    DROP_MIN_HISTORY_MONTHS: "Baisse des ventes : historique minimal (mois)",
    DROP_MIN_MONTHLY_LINES: "Baisse des ventes : lignes minimales par mois",
    UNPAID_GRACE_DAYS: "Commandes non payées : délai (jours)",
    REMITTANCE_TOLERANCE: "Versement insuffisant : écart toléré (FBu)",
}


def load_tax_settings(session: Session, report=None) -> int:
    """Create the default settings that have no row yet; return how many were created."""
    existing = set(session.scalars(select(TaxSetting.key)))
    created = 0
    for key, value, description in TAX_SETTINGS:
        if key not in existing:
            session.add(TaxSetting(key=key, value=value, valid_from=SINCE, description=description))
            created += 1
            if report is not None:
                report.add("tax_setting")
    session.flush()
    return created
