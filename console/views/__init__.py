"""Console views and their menu, registered on the AppBuilder.

``register_views`` also puts up what every console page relies on: the production
settings check (no debug, secure cookies), the login wall (sign-in required everywhere
but the login page and static files) and French error pages. The translation catalogues
are installed earlier, by ``create_app``, before FAB translates anything.
"""

from flask import current_app
from flask_babel import lazy_gettext as _

from console.security.guards import install_login_wall
from console.security.hardening import check_production_settings
from console.security.login_throttle import install_login_throttle
from console.security.odd_input import install_odd_input_guards
from console.security.passwords import check_complexity
from console.security.sessions import install_session_versions

from .api import APIS
from .api_clients import ApiCallView, ApiClientView
from .audit import AuditEventView
from .cooperatives import CooperativeView
from .ebms import InvoiceMessageView, ObrRefusalView
from .geography import CommuneView, ProvinceView
from .inventory import (
    DeviceAssignmentView,
    DeviceAuditView,
    DeviceIncidentView,
    DeviceStockView,
    DeviceView,
)
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
from .search import GlobalSearchView
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
    (DeviceStockView, _("Stock par province"), "fa-table", "Inventaire"),
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
    (InvoiceMessageView, _("Transmissions OBR (eBMS)"), "fa-paper-plane", "Fiscalité"),
    (ObrRefusalView, _("Refusées par l'OBR"), "fa-ban", "Fiscalité"),
    (AuditEventView, _("Journal d'audit"), "fa-history", "Traçabilité"),
    (ApiClientView, _("Clients API"), "fa-key", "Intégration"),
    (ApiCallView, _("Journal des appels API"), "fa-plug", "Intégration"),
]

NO_MENU = [EnrollmentTransitionView, GlobalSearchView]

# Menu category labels (the category names are permission names, kept untranslated).
CATEGORY_LABELS = {
    "Registre": _("Registre"),
    "Programme pilote": _("Programme pilote"),
    "Inventaire": _("Inventaire"),
    "Marché": _("Marché"),
    "Fiscalité": _("Fiscalité"),
    "Traçabilité": _("Traçabilité"),
    "Intégration": _("Intégration"),
}


def register_views(appbuilder) -> None:
    """Add every console view, API and menu entry, behind the login wall."""
    app = current_app._get_current_object()  # register_views runs in the app context
    check_production_settings(app)
    install_login_wall(app)
    install_session_versions(app)
    install_login_throttle(app)
    install_odd_input_guards(app)
    app.config.setdefault("FAB_PASSWORD_COMPLEXITY_VALIDATOR", check_complexity)
    for view, label, icon, category in MENU:
        if getattr(view, "menu_label", "missing") is None:
            view.menu_label = label  # IsokoModelView derives its page titles from it
        appbuilder.add_view(
            view,
            view.__name__,
            label=label,
            icon=icon,
            category=category,
            category_label=CATEGORY_LABELS.get(category, category),
        )
    for view in NO_MENU:
        appbuilder.add_view_no_menu(view)
    for api in APIS:
        appbuilder.add_api(api)
    from console.api import register_integration_api

    register_integration_api(appbuilder)
