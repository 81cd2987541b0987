"""Which provinces each user may see (the root of province scoping), and the version of
a user's sessions (console.security.sessions), and the map a user last chose."""

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Column, ForeignKey, Integer, String, Table

from console.extensions import Model

user_province = Table(
    "user_province",
    Model.metadata,
    Column("user_id", Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True),
    Column("province_id", Integer, ForeignKey("province.id", ondelete="CASCADE"), primary_key=True),
)

# Every session carries the number it was opened under; raising it (sign-out, password,
# deactivation, roles) ends all the user's earlier sessions. Declared on FAB's own User
# with a server default, so `flask fab create-admin` and FAB's add_user keep working.
if not hasattr(User, "session_epoch"):
    User.session_epoch = Column(Integer, nullable=False, default=0, server_default="0")

# The map (2015 or 2025) the user last chose on a dashboard or a report: their pages and
# report forms open on it next time (console.services.areas.default_map). None: not chosen.
if not hasattr(User, "preferred_map"):
    User.preferred_map = Column(String(4), nullable=True)
