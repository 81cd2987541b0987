"""Console views and their menu, registered on the AppBuilder."""

from flask_babel import lazy_gettext as _

from .audit import AuditEventView
from .cooperatives import CooperativeView
from .geography import CommuneView, ProvinceView
from .inventory import DeviceAssignmentView, DeviceAuditView, DeviceIncidentView, DeviceView
from .marketplace import (
    BuyerView,
    CategoryView,
    ListingView,
    OrderLineView,
    OrderView,
    PaymentView,
    ProductView,
    UnitView,
    ValueChainView,
)
from .pilot import (
    AttendanceView,
    CohortView,
    EnrollmentTransitionView,
    EnrollmentView,
    TrainingSessionView,
)
from .tax import TaxRemittanceView, TaxRuleView

# (view, label, icon, menu category: a permission name, also the msgid of its label)
MENU = [
    (CooperativeView, _("Coopératives"), "fa-users", "Registre"),
    (ProvinceView, _("Provinces"), "fa-map", "Registre"),
    (CommuneView, _("Communes"), "fa-map-marker", "Registre"),
    (CohortView, _("Cohortes"), "fa-flag", "Programme pilote"),
    (EnrollmentView, _("Inscriptions"), "fa-list-ol", "Programme pilote"),
    (TrainingSessionView, _("Sessions de formation"), "fa-graduation-cap", "Programme pilote"),
    (AttendanceView, _("Présences"), "fa-check-square-o", "Programme pilote"),
    (DeviceView, _("Équipements"), "fa-tablet", "Inventaire"),
    (DeviceAssignmentView, _("Remises"), "fa-exchange", "Inventaire"),
    (DeviceIncidentView, _("Incidents"), "fa-exclamation-triangle", "Inventaire"),
    (DeviceAuditView, _("Contrôles"), "fa-eye", "Inventaire"),
    (OrderView, _("Commandes"), "fa-shopping-cart", "Marché"),
    (OrderLineView, _("Lignes de commande"), "fa-list", "Marché"),
    (PaymentView, _("Paiements"), "fa-money", "Marché"),
    (ListingView, _("Offres"), "fa-tags", "Marché"),
    (ProductView, _("Produits"), "fa-cube", "Marché"),
    (BuyerView, _("Acheteurs"), "fa-user", "Marché"),
    (ValueChainView, _("Filières"), "fa-leaf", "Marché"),
    (CategoryView, _("Catégories"), "fa-sitemap", "Marché"),
    (UnitView, _("Unités"), "fa-balance-scale", "Marché"),
    (TaxRuleView, _("Règles fiscales"), "fa-gavel", "Fiscalité"),
    (TaxRemittanceView, _("Versements OBR"), "fa-university", "Fiscalité"),
    (AuditEventView, _("Journal d'audit"), "fa-history", "Sécurité"),
]

NO_MENU = [EnrollmentTransitionView]


def register_views(appbuilder) -> None:
    """Add every console view with its menu entry."""
    for view, label, icon, category in MENU:
        # The category name is the permission's key (plain text); its label is translated.
        appbuilder.add_view(
            view, view.__name__, label=label, icon=icon, category=category,
            category_label=_(category),
        )
    for view in NO_MENU:
        appbuilder.add_view_no_menu(view)
