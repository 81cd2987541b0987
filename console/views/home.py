"""The home page: the month's key figures for the user's provinces."""

from flask_appbuilder import IndexView, expose
from flask_appbuilder.security.decorators import has_access

from console.extensions import db
from console.security.scoping import current_scope
from console.services.key_figures import key_figures, week_alerts


class HomeView(IndexView):
    """Replaces FAB's index: login required, figures scoped to the user."""

    index_template = "isoko/home.html"

    @expose("/")
    @has_access
    def index(self):
        scope = current_scope()
        alerts = None
        if self.appbuilder.sm.has_access("can_read", "MeventeAlertView"):
            alerts = week_alerts(db.session, scope)
        return self.render_template(
            self.index_template,
            figures=key_figures(db.session, scope),
            alerts=alerts,
            scope=scope,
            appbuilder=self.appbuilder,
        )
