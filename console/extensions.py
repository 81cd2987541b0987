"""The process-wide extension objects, bound to the app in create_app."""

from flask_appbuilder.models.sqla import Model
from flask_appbuilder.models.sqla.base import SQLA
from flask_migrate import Migrate

# One declarative metadata for FAB's ab_* tables and Isoko's: Alembic targets it.
metadata = Model.metadata
db = SQLA()
migrate = Migrate()
