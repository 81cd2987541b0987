"""Every filter of every list answers a page, whatever is typed in it (never a 500)."""

from __future__ import annotations

import pytest

from console.views.base import IsokoModelView

from .conftest import create_user, login
from .test_authorization import world  # noqa: F401 (the fixture: a province's records)

# Empty, a word, a number beyond any id, a date that does not exist with quotes and wildcards.
ODD_VALUES = ["", "zzz", "99999999999999999999", "31/02/2026 %_'"]


def _list_filters(app):
    """(list URL, filter argument) for every filter operation of every console list."""
    for view in app.appbuilder.baseviews:
        if (
            not isinstance(view, IsokoModelView)
            or f"{view.endpoint}.list" not in app.view_functions
        ):
            continue
        with app.test_request_context():
            url = f"/{view.route_base.strip('/')}/list/"
            for column, filters in view._filters.get_search_filters().items():
                for index, _flt in enumerate(filters):
                    yield url, f"_flt_{index}_{column}"


@pytest.mark.usefixtures("world")
def test_every_filter_of_every_list_answers_a_page_with_empty_or_odd_values(app):
    create_user(app, "filtres.admin", "Admin")
    client = app.test_client()
    login(client, "filtres.admin")
    failures = []
    checked = 0
    for url, argument in _list_filters(app):
        for value in ODD_VALUES:
            checked += 1
            try:
                status = client.get(url, query_string={argument: value}).status_code
            except Exception as exc:  # noqa: BLE001 - the test app propagates what a 500 hides
                status = f"500 ({type(exc).__name__}: {str(exc)[:80]})"
            if status != 200:
                failures.append(f"{url}?{argument}={value!r} → {status}")
    assert checked > 200  # every list, every operation
    assert not failures, f"{len(failures)} filtre(s) en erreur :\n" + "\n".join(failures[:80])
