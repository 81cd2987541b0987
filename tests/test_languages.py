"""Languages: French by default, English selectable, Kirundi for menus and main labels."""

from __future__ import annotations

import html

import babel

from console.models.labels import LabelledEnum
from console.translations import TRANSLATIONS_DIR, compile_catalogs

from .conftest import create_user, login

CORE_MODEL_MODULES = {"geography", "cooperatives", "inventory", "marketplace", "pilot", "tax"}


def _page(client, url) -> str:
    return html.unescape(client.get(url).get_data(as_text=True))


def _signed_in(app, username="langues"):
    create_user(app, username, "Ministère")
    client = app.test_client()
    login(client, username)
    return client


def test_french_is_the_default(app):
    page = _page(_signed_in(app), "/cooperativeview/list/")
    assert "Coopératives" in page and "Programme pilote" in page


def test_english_can_be_chosen_for_menus_labels_and_messages(app):
    client = _signed_in(app)
    client.get("/lang/en")
    page = _page(client, "/cooperativeview/list/")
    assert "Cooperatives" in page and "Pilot programme" in page and "Registration no." in page
    assert "Export (CSV)" in page
    stock = _page(client, "/devicestockview/list/")
    assert "Equipment stock per province" in stock and "In stock" in stock


def test_kirundi_menus_and_main_labels_fall_back_to_french_elsewhere(app):
    client = _signed_in(app)
    client.get("/lang/rn")
    page = _page(client, "/cooperativeview/list/")
    assert "Amakoperative" in page and "Isoko" in page  # Coopératives, Marché
    assert "Télécharger la liste filtrée" in page  # untranslated: the French msgid


def test_kirundi_is_a_locale_babel_knows():
    assert babel.Locale.parse("rn").get_display_name() == "Ikirundi"


def test_catalogues_are_compiled_from_the_po_files(tmp_path):
    target = tmp_path / "en" / "LC_MESSAGES"
    target.mkdir(parents=True)
    (target / "messages.po").write_bytes(
        (TRANSLATIONS_DIR / "en" / "LC_MESSAGES" / "messages.po").read_bytes()
    )
    assert compile_catalogs(tmp_path) == [target / "messages.mo"]
    assert (target / "messages.mo").stat().st_size > 1000
    assert compile_catalogs(tmp_path) == []  # up to date: nothing recompiled


def test_every_core_model_label_is_marked_for_translation():
    from console.translations.model_labels import MODEL_LABELS

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    missing = [
        member.label
        for enum_cls in subclasses(LabelledEnum)
        if enum_cls.__module__.rsplit(".", 1)[-1] in CORE_MODEL_MODULES
        for member in enum_cls
        if member.label not in MODEL_LABELS
    ]
    assert missing == [], f"add to console/translations/model_labels.py: {missing}"


def test_english_catalogue_translates_every_message():
    from babel.messages.pofile import read_po

    with (TRANSLATIONS_DIR / "en" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    assert untranslated == []


def test_flask_appbuilder_screens_read_in_french_too(app, client):
    login_page = _page(client, "/login/")
    assert "Saisissez votre nom d'utilisateur et votre mot de passe" in login_page
    page = _page(_signed_in(app), "/cooperativeview/list/")
    assert "Nombre d'enregistrements" in page and "Se déconnecter" in page
