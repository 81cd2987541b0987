"""The `isoko` command: a Flask CLI group over the app factory.

`isoko db upgrade`, `isoko fab …` (Flask-Migrate and Flask-AppBuilder) stay available.
"""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext


def _create_app():
    from flask.cli import NoAppException

    from console import ConfigurationError, create_app

    try:
        return create_app()
    except ConfigurationError as error:  # a setting to fix: say which, without a traceback
        raise NoAppException(str(error)) from None


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def cli() -> None:
    """Isoko — console de régulation des coopératives (Burundi)."""


def _add_appless_commands() -> None:
    """Commands that need no app (nor its settings): the eBMS sandbox stands alone."""
    from console.ebms.commands import ebms_sandbox_command

    cli.add_command(ebms_sandbox_command)


_add_appless_commands()


@click.command("load-reference")
@with_appcontext
def load_reference_command() -> None:
    """Charge les provinces, communes, filières, unités et règles fiscales (idempotent)."""
    from console.extensions import db
    from console.reference.loader import load_reference
    from console.services.audit import Actor, acting_as

    with acting_as(Actor(None, "isoko load-reference", "cli")):
        report = load_reference(db.session)
        db.session.commit()
    detail = ", ".join(f"{table}: {n}" for table, n in sorted(report.created.items())) or "rien à ajouter"
    click.echo(f"Données de référence chargées ({detail}).")


@click.command("init-roles")
@with_appcontext
def init_roles_command() -> None:
    """Crée les rôles et aligne leurs permissions sur la politique d'accès (idempotent)."""
    from console.security.roles import sync_roles

    for result in sync_roles(current_app.appbuilder):
        click.echo(
            f"{result.role}: {result.total} permissions (+{result.granted}, -{result.revoked})"
        )


@click.command("seed-demo")
@click.option("--orders", default=20000, show_default=True, help="Nombre de lignes de commande.")
@click.option("--seed", "seed_value", default=2023, show_default=True, help="Graine aléatoire.")
@click.option(
    "--until",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Dernier jour des commandes, AAAA-MM-JJ (défaut : aujourd'hui à Bujumbura).",
)
@with_appcontext
def seed_demo_command(orders: int, seed_value: int, until) -> None:
    """Génère des données de démonstration réalistes et déterministes."""
    from console.demo.seed import SeedError, seed_demo, today_in_bujumbura
    from console.extensions import db

    started = time.perf_counter()
    try:
        summary = seed_demo(
            db,
            order_lines=orders,
            seed=seed_value,
            until=until.date() if until else today_in_bujumbura(),
        )
    except SeedError as exc:  # database not empty, or an option to change: the user can fix it
        raise click.ClickException(str(exc)) from exc
    from console.services.facts import refresh_facts

    facts = refresh_facts(db.session)  # the dashboards read aggregates, never raw lines
    db.session.commit()
    elapsed = time.perf_counter() - started
    click.echo(summary.describe())
    click.echo(f"Agrégats des tableaux de bord : {facts.rows_written} lignes.")
    click.echo(f"Durée : {elapsed:.1f} s")


@click.command("create-admin")
@click.option("--username", default="admin", show_default=True)
@click.option("--email", default="admin@isoko.local", show_default=True)
@click.option("--password", default=None, help="Sinon ISOKO_ADMIN_PASSWORD, sinon aléatoire.")
@with_appcontext
def create_admin_command(username: str, email: str, password: str | None) -> None:
    """Crée un administrateur (le mot de passe aléatoire est affiché une seule fois)."""
    from console.services.accounts import create_admin

    password = password or current_app.config.get("ADMIN_PASSWORD")
    result = create_admin(current_app.appbuilder, username, email, password)
    if result is None:
        raise click.ClickException(f"L'utilisateur « {username} » existe déjà.")
    if result.generated:
        click.echo(f"Administrateur « {username} » créé. Mot de passe (affiché une seule fois) : {result.password}")
    else:
        click.echo(f"Administrateur « {username} » créé.")


def register_commands(app) -> None:
    """Attach Isoko's commands to the app's CLI."""
    from console.ebms.commands import ebms_drain_command

    for command in (load_reference_command, init_roles_command, seed_demo_command, create_admin_command,
                    ebms_drain_command):
        app.cli.add_command(command)
