"""Isoko's message catalogues: French msgids, English and Kirundi translations.

The ``.po`` files beside this module are the source; the ``.mo`` files Babel reads are
compiled from them at build time (``setup.py``) and at start-up when missing or older
(``*.mo`` is not committed).
Flask-AppBuilder's own strings come from its catalogues; it has none for Kirundi ("rn"),
so on a Kirundi screen FAB's buttons read in English and Isoko's in Kirundi.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from babel.messages import mofile, pofile

TRANSLATIONS_DIR = Path(__file__).resolve().parent
DOMAIN = "messages"

log = logging.getLogger(__name__)


def gettext(msgid: str, **values) -> str:
    """Translate ``msgid`` for the current request's language, French outside a request.

    Domain services call this (imported as ``_``) so they stay usable without Flask.
    """
    try:
        from flask import has_request_context

        if has_request_context():
            from flask_babel import gettext as babel_gettext

            return babel_gettext(msgid, **values)
    except ImportError:  # pragma: no cover - Flask is always installed with Isoko
        pass
    return msgid % values if values else msgid


def N_(msgid: str) -> str:
    """Mark a constant for extraction; it is translated where it is shown."""
    return msgid


def compile_catalogs(directory: Path = TRANSLATIONS_DIR, target: Path | None = None) -> list[Path]:
    """Compile every ``.po`` under ``directory`` whose ``.mo`` (under ``target``) is missing or older."""
    target = target or directory
    written = []
    for po_path in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo_path = target / po_path.relative_to(directory).with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = pofile.read_po(po_file, locale=po_path.parent.parent.name)
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        tmp_path = mo_path.with_suffix(f".mo.{os.getpid()}.tmp")
        with tmp_path.open("wb") as mo_file:
            mofile.write_mo(mo_file, catalog)
        tmp_path.replace(mo_path)  # atomic: a worker never reads half a catalogue
        written.append(mo_path)
    return written


def install_translations(app) -> None:
    """Compile the catalogues and point Flask-Babel at them, before anything translates.

    Must run before ``AppBuilder.init_app``: FAB evaluates lazy strings while it registers
    its views, and Flask-Babel caches the catalogues it loads then for the life of the
    process; a ``.mo`` compiled later is only seen after a restart. FAB puts its own
    directory first, so Isoko's (later) wins on the same msgid. A read-only install that
    was built without its ``.mo`` compiles them under the instance folder instead.
    """
    directory = TRANSLATIONS_DIR
    try:
        compiled = compile_catalogs()
    except OSError as exc:
        from config import INSTANCE_DIR

        directory = INSTANCE_DIR / "translations"
        log.info("catalogues compilés sous %s (%s)", directory, exc)
        compiled = compile_catalogs(TRANSLATIONS_DIR, directory)
    if compiled:
        log.info("catalogues compilés : %s", ", ".join(str(p) for p in compiled))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(directory)
