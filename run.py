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
    from console.services.mevente.refresh import refresh_mevente

    facts = refresh_facts(session)
    refresh_mevente(session)
    session.commit()
    return f"Agrégats des tableaux de bord et alertes de mévente calculés ({facts.rows_written} lignes)."


def prepare(
    app,
    demo: bool,
    order_lines: int,
    say=lambda message: None,
    base_url: str = "http://127.0.0.1:8080/",
) -> list[str]:
    """Migrate, load reference data, sync roles, seed and create accounts.

    ``say`` receives one line per step as it ends (with its counts), so a first run on a
    slow laptop shows where it is; the returned messages are the accounts and passwords.
    """
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from console.extensions import db
    from console.models import Cooperative
    from console.reference.loader import load_reference
    from console.security.roles import sync_roles
    from console.services.audit import Actor, acting_as

    messages: list[str] = []
    with app.app_context(), acting_as(Actor(None, "run.py", "cli")):
        upgrade(revision="heads")
        say("Base de données à jour (migrations appliquées).")
        created = load_reference(db.session)
        db.session.commit()
        say(f"Données de référence : {created.total} ligne(s) ajoutée(s).")
        roles = sync_roles(app.appbuilder)
        say(f"Rôles : {len(roles)} rôles alignés sur la table des permissions.")
        if demo and not db.session.scalar(select(func.count()).select_from(Cooperative)):
            from console.demo.seed import seed_demo

            say(f"Données de démonstration : génération de {order_lines} lignes de commande…")
            summary = seed_demo(db, order_lines=order_lines, seed=2023, progress=say)
            say(summary.describe())
            say(refresh_derived_data(db.session))
            from console.demo.api_clients import create_demo_api_clients

            messages.extend(create_demo_api_clients(db.session, base_url))
            db.session.commit()
        messages += _admin_account(app)
        if demo:
            messages += _demo_accounts(app)
    return messages


def _admin_account(app) -> list[str]:
    """Create the administrator when there is none; say its own password, once."""
    from console.services.accounts import any_admin_exists, create_admin

    if any_admin_exists(app.appbuilder):
        return []
    created = create_admin(
        app.appbuilder, "admin", "admin@isoko.local", app.config.get("ADMIN_PASSWORD")
    )
    if created and created.generated:
        return [
            "Administrateur « admin » créé. Son mot de passe (affiché une seule fois) : "
            f"{created.password}"
        ]
    return ["Administrateur « admin » créé avec ISOKO_ADMIN_PASSWORD."] if created else []


def _demo_accounts(app) -> list[str]:
    """One account per role, missing ones only, sharing a random password of their own
    (never the administrator's)."""
    from sqlalchemy import select

    from console.extensions import db
    from console.models import Province
    from console.services.accounts import random_password

    sm = app.appbuilder.sm
    missing = [account for account in DEMO_ACCOUNTS if not sm.find_user(username=account[0])]
    if not missing:
        return []
    password = random_password()
    for username, role, provinces in missing:
        user = sm.add_user(
            username,
            username.split(".")[0].title(),
            "Démo",
            f"{username}@isoko.local",
            sm.find_role(role),
            password=password,
        )
        if provinces:
            user.provinces = list(
                db.session.scalars(select(Province).where(Province.code.in_(provinces)))
            )
            db.session.commit()
    names = ", ".join(f"{name} ({role})" for name, role, _p in missing)
    return [f"Comptes de démonstration : {names}. Leur mot de passe commun : {password}"]


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from config import config_for_environment
    from console import create_app

    # --demo: a first run on a laptop (embedded SQLite, plain-HTTP cookies, a generated key).
    app = create_app(config_for_environment(demo=args.demo))
    steps = iter(range(1, 100))

    def say(message: str) -> None:
        print(f"[{next(steps)}] {message}", flush=True)

    messages = prepare(app, args.demo, args.orders, say, f"http://{args.host}:{args.port}/")
    if messages:
        print("", *messages, "", sep="\n", flush=True)
    if args.prepare_only:
        return
    if args.demo:
        from console.demo.ebms import start_demo_transmission

        line = start_demo_transmission(app)
        if line:
            print(line, flush=True)
    import werkzeug.serving

    # Plain log lines: werkzeug colours them with ANSI codes, unreadable in a log file.
    werkzeug.serving._log_add_style = False
    print(f"Isoko écoute sur http://{args.host}:{args.port}/", flush=True)
    app.run(host=args.host, port=args.port, debug=False, use_reloader=False)


if __name__ == "__main__":
    main()
