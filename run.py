"""Run the Isoko console: prepare the database, then serve on http://127.0.0.1:8080.

    python run.py --demo      # embedded SQLite, demo data, demo accounts
    python run.py             # uses ISOKO_DATABASE_URL and ISOKO_SECRET_KEY

It creates and migrates the database when needed, loads reference data, syncs the
roles, seeds demo data when --demo is given on an empty database, and creates an
administrator when none exists (password from ISOKO_ADMIN_PASSWORD, else random and
printed once). Production runs under gunicorn: see README.md.
"""

from __future__ import annotations

import argparse


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Console Isoko")
    parser.add_argument("--demo", action="store_true", help="données de démonstration sur SQLite")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--orders", type=int, default=20000, help="lignes de commande de démo")
    parser.add_argument("--prepare-only", action="store_true", help="préparer la base sans servir")
    return parser.parse_args(argv)


DEMO_ACCOUNTS = [
    # username, role, provinces (coordinators only)
    ("ministere", "Ministère", []),
    ("pnud", "PNUD", []),
    ("coord.gitega", "Coordinateur provincial", ["BI-GI"]),
    ("obr.auditeur", "Auditeur fiscal", []),
]


def refresh_derived_data(session) -> str:
    """Build the dashboards' aggregates and the mévente alerts after new sales data."""
    from console.services.facts import refresh_facts
    from console.services.mevente_refresh import refresh_mevente

    facts = refresh_facts(session)
    refresh_mevente(session)
    session.commit()
    return f"Agrégats des tableaux de bord et alertes de mévente calculés ({facts.rows_written} lignes)."


def prepare(app, demo: bool, order_lines: int, base_url: str = "http://127.0.0.1:8080/") -> list[str]:
    """Migrate, load reference data, sync roles, seed and create accounts. Returns messages."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from console.extensions import db
    from console.models import Cooperative, Province
    from console.reference.loader import load_reference
    from console.security.roles import sync_roles
    from console.services.accounts import any_admin_exists, create_admin, random_password
    from console.services.audit import Actor, acting_as

    messages: list[str] = []
    with app.app_context(), acting_as(Actor(None, "run.py", "cli")):
        upgrade(revision="heads")
        load_reference(db.session)
        db.session.commit()
        sync_roles(app.appbuilder)
        if demo and not db.session.scalar(select(func.count()).select_from(Cooperative)):
            from console.demo.seed import seed_demo

            summary = seed_demo(db, order_lines=order_lines, seed=2023)
            messages.append(summary.describe())
            messages.append(refresh_derived_data(db.session))
            from console.demo.api_clients import create_demo_api_clients

            messages.extend(create_demo_api_clients(db.session, base_url))
            db.session.commit()
        if not any_admin_exists(app.appbuilder):
            created = create_admin(
                app.appbuilder, "admin", "admin@isoko.local", app.config.get("ADMIN_PASSWORD")
            )
            if created and created.generated:
                messages.append(
                    f"Administrateur « admin » créé. Mot de passe (affiché une seule fois) : {created.password}"
                )
            elif created:
                messages.append("Administrateur « admin » créé avec ISOKO_ADMIN_PASSWORD.")
            if demo:
                password = app.config.get("ADMIN_PASSWORD") or random_password()
                sm = app.appbuilder.sm
                for username, role, provinces in DEMO_ACCOUNTS:
                    if sm.find_user(username=username):
                        continue
                    user = sm.add_user(
                        username, username.split(".")[0].title(), "Démo",
                        f"{username}@isoko.local", sm.find_role(role), password=password,
                    )
                    if provinces:
                        user.provinces = list(
                            db.session.scalars(select(Province).where(Province.code.in_(provinces)))
                        )
                        db.session.commit()
                names = ", ".join(name for name, _r, _p in DEMO_ACCOUNTS)
                messages.append(f"Comptes de démonstration ({names}), mot de passe : {password}")
    return messages


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from config import config_for_environment
    from console import create_app

    # --demo: a first run on a laptop (embedded SQLite, plain-HTTP cookies, a generated key).
    app = create_app(config_for_environment(demo=args.demo))
    for message in prepare(app, args.demo, args.orders, f"http://{args.host}:{args.port}/"):
        print(message, flush=True)
    if args.prepare_only:
        return
    print(f"Isoko écoute sur http://{args.host}:{args.port}/", flush=True)
    app.run(host=args.host, port=args.port, debug=False, use_reloader=False)


if __name__ == "__main__":
    main()
