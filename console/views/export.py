"""CSV export of a console list, with the filters on screen and the user's scope.

Text cells go through the one formula neutraliser (console.services.spreadsheet_cells).
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
from decimal import Decimal

from flask import Response, stream_with_context
from flask_appbuilder.urltools import get_filter_args, get_order_args
from markupsafe import Markup
from sqlalchemy.orm import Session

from console.extensions import db
from console.formatting import format_date, format_datetime
from console.services.spreadsheet_cells import neutralise

# Spreadsheets opened in French use ";" between fields and "," as decimal mark; the BOM
# makes Excel read the file as UTF-8.
DELIMITER = ";"
BATCH = 1000


def _cell(value) -> str:
    """A value as a French spreadsheet reads it: no currency sign, comma decimals."""
    if value is None:
        return ""
    if isinstance(value, Markup):  # a page's formatter (a link): its text only
        return value.striptags()
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, enum.Enum):
        return str(getattr(value, "label", value.value))
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, dt.date):
        return format_date(value)
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    return str(value)


def _export_cell(value, formatter=None) -> str:
    """One CSV cell: the value as shown, inert in a spreadsheet unless it is a number."""
    text = _cell(value if formatter is None else formatter(value))
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return text  # a number (negative ones included) is not a formula
    return neutralise(text)


def _rows(view, query, columns):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=DELIMITER)
    writer.writerow([str(view.label_columns.get(c, c)) for c in columns])
    yield "\ufeff" + buffer.getvalue()
    formatters = getattr(view, "export_formatters", {})
    # The stream outlives the request's own session: read through a connection of its
    # own, closed when the last row is sent (or when the client goes away).
    with db.engine.connect() as connection, Session(bind=connection) as session:
        for item in query.with_session(session).yield_per(BATCH):
            buffer.seek(0)
            buffer.truncate()
            writer.writerow(
                [_export_cell(getattr(item, c, None), formatters.get(c)) for c in columns]
            )
            yield buffer.getvalue()


def csv_export_response(view) -> Response:
    """Stream the view's list columns for every row its list would show."""
    get_filter_args(view._filters)
    filters = view._filters.get_joined_filters(view._base_filters)
    order_column, order_direction = get_order_args().get(view.__class__.__name__, ("", ""))
    if not order_column and view.base_order:
        order_column, order_direction = view.base_order
    datamodel = view.datamodel
    query = datamodel.apply_all(
        datamodel.session.query(datamodel.obj), filters, order_column, order_direction
    )
    columns = list(view.list_columns)
    filename = f"{view.datamodel.obj.__tablename__}.csv"
    return Response(
        stream_with_context(_rows(view, query, columns)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
