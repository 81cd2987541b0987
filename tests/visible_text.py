"""What a person reads on a console page: text nodes, placeholders, titles, button values."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import flask_appbuilder
import lxml.html
from babel.messages import pofile

# English words FAB or a template may leave on a French page (not French words too).
ENGLISH = re.compile(
    r"\b(List|Show|Detail|Details|Select|Value|Cancel|Search|Edit|Delete|Back|Save|Yes|"
    r"Not|In|Record|Records|Filter|Filters|Refresh|Submit|Password|User|Users|Home|"
    r"Logout|Login|Sign|the|of|and|with|Please|Equal|Contains|Starts|Ends|Greater|Smaller|"
    r"Relation|None|True|False|Add|Setting|Settings|Information|Info|Reset|Role|Roles|"
    r"Changed|Added|Deleted|Row|Error|Close|Next|Previous|First|Last|Page|Count|Enter)\b"
)
# Spanish and garbled French shipped in FAB's catalogue.
MISSPELT = re.compile(
    r"Contraseña|modificada|Usuario|intformations|\bSvp\b|S'enregistrer|\bfilter\b|"
    r"\brecord\b|deconnecter|Pas de contenu|Nombre de record|\bIn\b|\bNot In\b"
)
FAB_CATALOGUE = Path(flask_appbuilder.__file__).parent / "translations/fr/LC_MESSAGES/messages.mo"
ISOKO_CATALOGUE = (
    Path(__file__).resolve().parent.parent / "console/translations/fr/LC_MESSAGES/messages.po"
)
SKIPPED_TAGS = {"script", "style", "noscript", "template"}


def fab_msgids() -> set[str]:
    """FAB's English source strings whose French differs: one left on a page is a defect.

    Strings French spells the same (« Permission », « Actions ») are not counted.
    """
    with FAB_CATALOGUE.open("rb") as handle:
        french = dict(gettext.GNUTranslations(handle)._catalog)
    with ISOKO_CATALOGUE.open("rb") as handle:
        french |= {m.id: m.string for m in pofile.read_po(handle) if isinstance(m.id, str)}
    return {key for key in french if isinstance(key, str) and key and french[key] != key}


def visible_strings(page: str) -> set[str]:
    """Every text a person sees or hears on ``page`` (hidden inputs and scripts excluded)."""
    if not page.strip():
        return set()
    tree = lxml.html.fromstring(page)
    found = set()
    for element in tree.iter():
        if not isinstance(element.tag, str) or element.tag in SKIPPED_TAGS:
            continue
        for attribute in (
            "placeholder",
            "data-placeholder",
            "title",
            "aria-label",
            "alt",
            "data-original-title",
        ):
            if element.get(attribute):
                found.add(element.get(attribute))
        if element.tag == "input" and element.get("type") in ("submit", "button"):
            found.add(element.get("value") or "")
        if element.tag == "option":
            found.add(element.text_content())
            continue
        for text in (element.text, element.tail if element.getparent() is not None else None):
            if text and (
                element.getparent() is None or element.getparent().tag not in SKIPPED_TAGS
            ):
                found.add(text)
    return {" ".join(s.split()) for s in found if s and s.strip()}
