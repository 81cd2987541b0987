"""Every page each role can open reads in French: no English, Spanish or FAB misspellings.

The pages are the authorization matrix's GET probes (list, show, add and edit of every
view, the security screens, the sign-in page) with a constructed province's records, so
show and edit pages have a row to display. A string that looks English but is right in
French (a proper noun, a code) goes into ALLOWED with a reason.
"""

from __future__ import annotations

import collections
import html
import re

import pytest

from console.security import policy

from .conftest import login
from .test_authorization import USERNAMES, probes, world  # noqa: F401 (the fixture)
from .visible_text import ENGLISH, MISSPELT, fab_msgids, visible_strings

# Strings that match the English pattern but are what a French reader should see.
ALLOWED = {
    "Isoko — Console de régulation",  # the application's name
    "Active",  # a cooperative's status as typed in an import file (« Coopérative active »)
}
# Permission names on the roles' detail page, as written in console/security/policy.py.
PERMISSION_NAME = re.compile(r"^(can [a-z_ ]+|menu access) on \S")
SKIPPED_PREFIXES = ("/static/", "/dashboards/", "/api/", "/lang/", "/logout")


def _pages(app, role):
    """(url, page) for every HTML page ``role`` may open."""
    client = app.test_client()
    login(client, USERNAMES[role])
    for probe in probes(app):
        if probe.method != "GET" or probe.url.startswith(SKIPPED_PREFIXES):
            continue
        if not probe.requirement.allows(role, None):
            continue
        response = client.get(probe.url, buffered=True)
        if response.status_code == 200 and response.mimetype == "text/html":
            yield probe.url, html.unescape(response.get_data(as_text=True))
            if hasattr(probe.requirement.view, "_filters"):
                yield probe.url, _filter_names(app, probe.requirement.view)


def _filter_names(app, view) -> str:
    """The filter operations a list offers, drawn by FAB's script (« Contient », « Parmi »…)."""
    with app.test_request_context():
        names = {
            str(flt.name) for flts in view._filters.get_search_filters().values() for flt in flts
        }
    return "".join(f"<p>{name}</p>" for name in names)


def foreign_strings(app, role) -> dict[str, list[str]]:
    """Visible strings that are English, Spanish or misspelt, with the pages showing them."""
    untranslated = fab_msgids()
    found = collections.defaultdict(list)
    for url, page in _pages(app, role):
        for text in visible_strings(page):
            if text in ALLOWED or PERMISSION_NAME.match(text):
                continue
            if text in untranslated or ENGLISH.search(text) or MISSPELT.search(text):
                found[text].append(url)
    return found


@pytest.mark.parametrize("role", policy.ROLES)
@pytest.mark.usefixtures("world")
def test_every_page_reads_in_french(app, role):
    found = foreign_strings(app, role)
    assert not found, f"{role} : {len(found)} texte(s) pas en français :\n" + "\n".join(
        f"  « {text} » sur {urls[0]} (+{len(urls) - 1})" for text, urls in sorted(found.items())
    )
