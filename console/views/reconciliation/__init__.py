"""The tax reconciliation feature: pages under the "Fiscalité" menu.

Registered through console.features.FEATURE_MODULES; who sees what is in
console.security.policy (TaxReconciliationView, LeakageFlagView, TaxWhatIfView,
TaxSettingView).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _

from .views import LeakageFlagView, TaxReconciliationView, TaxSettingView, TaxWhatIfView

CATEGORY = "Fiscalité"

MENU = [
    (TaxReconciliationView, _("Rapprochement fiscal"), "fa-balance-scale"),
    (LeakageFlagView, _("Signalements"), "fa-flag"),
    (TaxWhatIfView, _("Simulation (what-if)"), "fa-calculator"),
    (TaxSettingView, TaxSettingView.menu_label, "fa-sliders"),
]


def init_app(app, appbuilder) -> None:
    """Add the pages to the console, under the "Fiscalité" menu (`isoko signalements`: console.cli)."""
    for view, label, icon in MENU:
        appbuilder.add_view(
            view,
            view.__name__,
            label=label,
            icon=icon,
            category=CATEGORY,
            category_label=_(CATEGORY),
        )
