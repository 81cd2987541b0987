"""Helpers shared by the importer tests: run an import as a user, and fingerprint the database."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import sqlalchemy as sa

# The log of import attempts grows on every attempt, failed ones included: by design.
LOG_TABLES = frozenset({"import_batch", "alembic_version"})

COOPERATIVES_CSV = (
    "Numéro d'enregistrement;Nom;Province;Commune;Membres;Membres femmes;Assujetti TVA;Pionnière\n"
    "ANACOOP/KI/001;Coopérative Twiyungunganye;Kirundo;Busoni;40;25;oui;oui\n"
    "ANACOOP/GI/002;Coopérative Dukorere Hamwe;BI-GI;;12;6;non;non\n"
    "ANACOOP/NG/003;Coopérative Abahuzamugambi;Ngozi;Ngozi;30;10;oui;non\n"
)
PRODUCTS_CSV = (
    "SKU;Nom du produit;Coopérative;Catégorie;Unité\n"
    "KI-HAR-001;Haricot sec jaune;ANACOOP/KI/001;haricot-sec;kg\n"
    "KI-FOY-002;Foyer amélioré;cooperative twiyungunganye;Foyer amélioré;piece\n"
    "GI-LAI-001;Lait frais;ANACOOP/GI/002;lait-frais;l\n"
    "NG-RIZ-001;Riz décortiqué;ANACOOP/NG/003;riz-blanc;kg\n"
)
ORDERS_CSV = (
    "Référence de commande;Ligne;Date de commande;Vendeur;Acheteur;Statut;SKU;Quantité;Prix unitaire\n"
    "CMD-1;1;26/06/2023 14:05;ANACOOP/KI/001;Hôtel du Lac;Livrée;KI-HAR-001;12,5;2 900\n"
    "CMD-1;2;26/06/2023 14:05;ANACOOP/KI/001;Hôtel du Lac;Livrée;KI-FOY-002;1;25 000\n"
    "CMD-2;1;2023-06-27;ANACOOP/GI/002;Marie Ndayishimiye;Passée;GI-LAI-001;3;1 200\n"
    "CMD-3;1;45104;ANACOOP/NG/003;hotel du lac;Payée;NG-RIZ-001;100;3 200\n"
)


def db_fingerprint(session) -> dict[str, str]:
    """A SHA-256 per table of every row (ordered), the import log excepted."""
    inspector = sa.inspect(session.get_bind())
    prints = {}
    for table in sorted(inspector.get_table_names()):
        if table in LOG_TABLES:
            continue
        columns = [c["name"] for c in inspector.get_columns(table)]
        rows = sorted(
            repr(tuple(row))
            for row in session.execute(sa.text(f"SELECT {', '.join(columns)} FROM {table}"))
        )
        digest = hashlib.sha256()
        for row in rows:
            digest.update(row.encode())
        prints[table] = digest.hexdigest()
    return prints


def write_file(content: bytes | str, name: str, encoding: str = "utf-8") -> Path:
    folder = Path(tempfile.mkdtemp(prefix="isoko-test-import-"))
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def run_as(
    app,
    kind: str,
    content: bytes | str,
    *,
    username: str | None = None,
    name: str = "fichier.csv",
    dry_run: bool = False,
    sheet: str | None = None,
    encoding: str = "utf-8",
):
    """Import ``content`` as ``username`` (None: the command line's national operator)."""
    from console.extensions import db
    from console.security.scoping import NATIONAL, scope_for_user
    from importers.command import ImportRequest, run_import

    path = write_file(content, name, encoding)
    with app.app_context():
        if username is None:
            user_id, scope, roles = None, NATIONAL, None
        else:
            user = app.appbuilder.sm.find_user(username=username)
            user_id, scope, roles = (
                user.id,
                scope_for_user(user),
                frozenset(r.name for r in user.roles),
            )
        request = ImportRequest(
            kind=kind,
            path=path,
            file_name=name,
            user_id=user_id,
            username=username or "tests",
            scope=scope,
            dry_run=dry_run,
            sheet=sheet,
            source="cli",
            roles=roles,
        )
        return run_import(db.session, request)


def fingerprint(app) -> dict[str, str]:
    from console.extensions import db

    with app.app_context():
        prints = db_fingerprint(db.session)
        db.session.rollback()
        return prints
