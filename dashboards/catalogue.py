"""The four dashboards: their address under /dashboards/, permission resource and title."""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "/dashboards/"


@dataclass(frozen=True)
class Dashboard:
    """One dashboard page; ``resource`` is its line in console.security.policy.POLICY."""

    slug: str
    resource: str
    title: str
    icon: str
    summary: str

    @property
    def path(self) -> str:
        return f"{PREFIX}{self.slug}"


DASHBOARDS: tuple[Dashboard, ...] = (
    Dashboard(
        "ventes",
        "DashboardVentes",
        "Ventes",
        "fa-line-chart",
        "Chiffre d'affaires et commandes par période, province, filière et coopérative.",
    ),
    Dashboard(
        "mevente",
        "DashboardMevente",
        "Mévente",
        "fa-cubes",
        "Offert et vendu, taux d'écoulement, ancienneté des stocks, offres invendues.",
    ),
    Dashboard(
        "recettes",
        "DashboardRecettes",
        "Recettes fiscales",
        "fa-university",
        "Taxe due, encaissée et reversée à l'OBR, écarts et alertes de fuite.",
    ),
    Dashboard(
        "pilote",
        "DashboardPilote",
        "Programme pilote",
        "fa-flag",
        "Parcours des coopératives, formations, tablettes et activité des pionnières.",
    ),
)

BY_SLUG = {d.slug: d for d in DASHBOARDS}
BY_RESOURCE = {d.resource: d for d in DASHBOARDS}
# The FAB permission that opens a dashboard (a READ permission in the roles policy).
PERMISSION = "can_read"
MENU_CATEGORY = "Tableaux de bord"


def dashboard_for_path(path: str | None) -> Dashboard | None:
    """The dashboard whose page is ``path`` (``/dashboards/ventes`` or ``ventes``)."""
    slug = (path or "").removeprefix(PREFIX).strip("/").split("/", 1)[0]
    return BY_SLUG.get(slug)
