"""Isoko's security manager: FAB's, with users carrying their provinces."""

from __future__ import annotations

from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import User
from sqlalchemy.orm import relationship

from console.models.access import user_province
from console.models.geography import Province

# A user's provinces (coordinators: the provinces they may see). Declared on FAB's own
# User class through a separate table, so `flask fab create-admin` keeps working.
if not hasattr(User, "provinces"):
    User.provinces = relationship(Province, secondary=user_province, lazy="selectin")


class IsokoSecurityManager(SecurityManager):
    """FAB's database-backed security, extended by the roles policy (console.security.policy)."""
