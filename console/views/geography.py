"""Provinces of both maps and the communes of 2025."""

from console.models import Commune, Province
from console.security.scoped_datamodel import ScopedSQLAInterface

from .base import IsokoModelView

READ_EDIT = ["can_list", "can_show", "can_edit"]


class ProvinceView(IsokoModelView):
    datamodel = ScopedSQLAInterface(Province)
    base_permissions = READ_EDIT
    list_columns = ["code", "name", "map_version", "chef_lieu", "successor", "in_intervention_zone"]
    search_columns = ["code", "name", "map_version", "in_intervention_zone"]
    show_columns = list_columns
    # Only the intervention-zone flag is an administrator's to set; the maps are law.
    edit_columns = ["in_intervention_zone"]
    base_order = ("code", "asc")


class CommuneView(IsokoModelView):
    datamodel = ScopedSQLAInterface(Commune)
    base_permissions = ["can_list", "can_show"]
    list_columns = ["name", "province", "former_province"]
    search_columns = ["name", "province", "former_province"]
    show_columns = ["code", "name", "province", "former_province"]
    base_order = ("name", "asc")
