"""Flask-AppBuilder's data interface with province scoping built in.

Every FAB query goes through ``SQLAInterface._apply_inner_all`` (lists, counts, detail,
edit, delete, actions, REST API get/list/put/delete) or ``_get_base_query`` (charts), and
every related-field dropdown through ``get_related_interface(...).query()``. Applying the
scope there, from console.security.scoping, limits all of them at once: a view or an
API built on this interface cannot show, change or offer another province's rows.

The interface also reads date-time search values as Bujumbura time: FAB would compare
naive values with the aware UTC columns (and fail).
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from dateutil import parser
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import SQLAFilterConverter, get_field_setup_query
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _
from sqlalchemy.orm import RelationshipProperty, lazyload, selectinload

from console.formatting import parse_date
from console.services.periods import BUJUMBURA
from console.text_match import contains_folded

from .scoping import apply_scope, current_scope


def _local_moment(value) -> dt.datetime | None:
    """A searched date or date-time, typed in Bujumbura time, as an aware datetime."""
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = parser.parse(str(value), dayfirst="/" in str(value))
        except (ValueError, OverflowError):
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=BUJUMBURA)


class _MomentFilter(BaseFilter):
    def _setup(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        return query, field, _local_moment(value)


class FilterOnDay(_MomentFilter):
    name = _("Le (jour)")
    arg_name = "day"

    def apply(self, query, value):
        query, field, moment = self._setup(query, value)
        if moment is None:
            return query
        start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        return query.filter(field >= start, field < start + dt.timedelta(days=1))


class FilterFrom(_MomentFilter):
    name = _("À partir du")
    arg_name = "from"

    def apply(self, query, value):
        query, field, moment = self._setup(query, value)
        return query if moment is None else query.filter(field >= moment)


class FilterUntil(_MomentFilter):
    name = _("Jusqu'au (inclus)")
    arg_name = "until"

    def apply(self, query, value):
        query, field, moment = self._setup(query, value)
        if moment is None:
            return query
        if moment.time() == dt.time(0):  # a bare date includes the whole day
            moment += dt.timedelta(days=1)
            return query.filter(field < moment)
        return query.filter(field <= moment)


def _typed_date(filter_class):
    """FAB's date filter reading ``03/12/2026`` as 3 December (FAB: 12 March); junk: no filter."""

    class TypedDateFilter(filter_class):
        def apply(self, query, value):
            if not isinstance(value, dt.date):
                try:
                    value = parse_date(value)
                except ValueError:
                    return query
            return super().apply(query, value)

    TypedDateFilter.__name__ = filter_class.__name__
    return TypedDateFilter


BIGGEST_ID = 2**63 - 1  # larger numbers overflow the database's integers (a 500)


def _is_number(text: str) -> bool:
    try:
        return Decimal(text.replace(",", ".")).is_finite()
    except InvalidOperation:
        return False


def _tolerant(filter_class):
    """A filter that answers a page whatever is typed: empty means no filter, and a value
    the column cannot hold (an unknown status, a number beyond any id) matches nothing."""

    class TolerantFilter(filter_class):
        def apply(self, query, value):
            values = value if isinstance(value, list | tuple) else [value]
            texts = [str(v).strip() for v in values if v is not None and str(v).strip()]
            if not texts:
                return query
            if any(t.lstrip("-").isdigit() and abs(int(t)) > BIGGEST_ID for t in texts):
                return query.filter(sa.false())
            column = getattr(self.model, self.column_name, None)
            prop = getattr(column, "property", None)
            if isinstance(prop, RelationshipProperty) and not all(t.isdigit() for t in texts):
                return query.filter(sa.false())  # a related row is chosen by its id
            if isinstance(getattr(column, "type", None), sa.Integer | sa.Numeric | sa.Float):
                if not all(_is_number(t) for t in texts):
                    return query.filter(sa.false())
            if isinstance(getattr(column, "type", None), sa.Boolean):
                if texts[0] not in ("y", "n"):  # FAB's checkbox sends "y"
                    return query.filter(sa.false())
            allowed = getattr(getattr(column, "type", None), "enums", None)
            if allowed is not None and not any(isinstance(v, enum.Enum) for v in values):
                if any(t not in allowed for t in texts):
                    return query.filter(sa.false())
            return super().apply(query, value)

    TolerantFilter.__name__ = filter_class.__name__
    return TolerantFilter


class FilterContainsFolded(BaseFilter):
    """« Contient », whatever the case and accents (« gitega » finds « Gitéga »)."""

    name = _("Contient")
    arg_name = "ct"

    def apply(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        dialect = query.session.get_bind().dialect.name
        return query.filter(contains_folded(field, str(value), dialect))


def _contains_first(filters):
    """Text filters open on « Contient » (FAB's first is « Commence par »)."""
    rest = [f for f in filters if f.__name__ != "FilterContains"]
    return [FilterContainsFolded, *rest[1:2], rest[0], *rest[2:]]


class IsokoFilterConverter(SQLAFilterConverter):
    """FAB's filters, tolerant of any typed value, with date and date-time ones that
    understand dates as people type them."""

    conversion_table = tuple(
        (test, [_tolerant(f) for f in filters])
        for test, filters in (
            ("is_datetime", [FilterOnDay, FilterFrom, FilterUntil])
            if test == "is_datetime"
            else ("is_date", [_typed_date(f) for f in filters])
            if test == "is_date"
            else (test, _contains_first(filters))
            if test in ("is_text", "is_string")
            else (test, filters)
            for test, filters in SQLAFilterConverter.conversion_table
        )
    )


class ScopedSQLAInterface(SQLAInterface):
    """SQLAInterface whose every query is limited to the current user's provinces."""

    filter_converter_class = IsokoFilterConverter

    def _scoped(self, query):
        return apply_scope(query, self.obj, current_scope())

    def _apply_inner_all(
        self,
        query,
        filters=None,
        order_column="",
        order_direction="",
        page=None,
        page_size=None,
        select_columns=None,
        *args,
        **kwargs,
    ):
        query = self._scoped(query)
        if page_size and not select_columns:
            # A page of whole rows (the console's lists) shows their many-to-one neighbours
            # (an order's seller and buyer): one query per relation for the page instead of
            # one per row. The REST API selects its columns itself and is left alone.
            query = query.options(
                *(selectinload(getattr(self.obj, name)) for name in self._many_to_one())
            )
        return super()._apply_inner_all(
            query,
            filters,
            order_column,
            order_direction,
            page,
            page_size,
            select_columns,
            *args,
            **kwargs,
        )

    def _many_to_one(self) -> tuple[str, ...]:
        names = self.__dict__.get("_many_to_one_names")
        if names is None:
            names = tuple(
                name for name in self.get_columns_list() if self.is_relation_many_to_one(name)
            )
            self.__dict__["_many_to_one_names"] = names
        return names

    def get_related_interface(self, col_name):
        """The related model's interface, made once per column.

        FAB asks for it again for every option of a drop-down (600 sellers: 600 interfaces
        built per page). Its rows are choices, shown by their names: their own relations
        load only if used (a cooperative's value chains are not read for its name).
        """
        cache = self.__dict__.setdefault("_related_interfaces", {})
        if col_name not in cache:
            cache[col_name] = ChoicesInterface(self.get_related_model(col_name))
        return cache[col_name]

    def _get_base_query(self, query, *args, **kwargs):
        return super()._get_base_query(self._scoped(query), *args, **kwargs)

    def get_related_obj(self, col_name, value):
        related = self.get_related_interface(col_name)
        return related.get(value)


class ChoicesInterface(ScopedSQLAInterface):
    """The scoped interface of a related model, whose rows fill drop-downs and filters."""

    def _apply_inner_all(self, query, *args, **kwargs):
        return super()._apply_inner_all(query.options(lazyload("*")), *args, **kwargs)
