"""The `isoko` command: a Flask CLI group over the app factory.

The console's own commands live here (reference data, roles, demo, administrator, the
weekly mévente refresh, the leakage flags); dashboards, reports and importers each have
their `cli` module. `isoko db upgrade`, `isoko fab …` (Flask-Migrate and Flask-AppBuilder)
stay available.
"""

from __future__ import annotations

import time
from collections import Counter

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from console.services.periods import month_end, parse_month, today_local


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
    detail = (
        ", ".join(f"{table}: {n}" for table, n in sorted(report.created.items()))
        or "rien à ajouter"
    )
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
    from console.demo.seed import SeedError, seed_demo
    from console.extensions import db
    from console.services.periods import today_local

    started = time.perf_counter()
    try:
        summary = seed_demo(
            db,
            order_lines=orders,
            seed=seed_value,
            until=until.date() if until else today_local(),
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
        click.echo(
            f"Administrateur « {username} » créé. Mot de passe (affiché une seule fois) : {result.password}"
        )
    else:
        click.echo(f"Administrateur « {username} » créé.")


@click.command("unlock-login")
@click.option("--user", "username", default=None, help="Identifiant du compte à débloquer.")
@click.option("--address", default=None, help="Adresse IP à débloquer.")
@with_appcontext
def unlock_login_command(username: str | None, address: str | None) -> None:
    """Débloque la connexion d'un compte ou d'une adresse après trop d'échecs."""
    from console.security.login_throttle import login_throttle

    if not username and not address:
        raise click.UsageError("Indiquez --user IDENTIFIANT ou --address IP (ou les deux).")
    throttle = login_throttle()
    if throttle is None:
        raise click.ClickException(
            "La limitation des connexions est désactivée (AUTH_RATE_LIMITED)."
        )
    throttle.unlock(username=username, address=address)
    click.echo("Connexion débloquée : " + ", ".join(filter(None, [username, address])) + ".")


@click.command("mevente-refresh")
@click.option(
    "--as-of", "as_of", default=None, help="Date du calcul (AAAA-MM-JJ), aujourd'hui par défaut."
)
@click.option("--no-backtest", is_flag=True, help="Garder les méthodes de prévision déjà retenues.")
@with_appcontext
def mevente_refresh_command(as_of: str | None, no_backtest: bool) -> None:
    """Calcule les indicateurs hebdomadaires, les prévisions, les alertes et les suggestions."""
    import datetime as dt

    from console.extensions import db
    from console.services.audit import Actor, acting_as
    from console.services.mevente.refresh import refresh_mevente

    day = None
    if as_of:
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError as error:
            raise click.BadParameter(f"date invalide « {as_of} » : utilisez AAAA-MM-JJ.") from error
    with acting_as(Actor(None, "isoko mevente-refresh", "cli")):
        summary = refresh_mevente(
            db.session, day, backtest=not no_backtest, actor=(None, "isoko mevente-refresh")
        )
        db.session.commit()
    click.echo(summary.describe())


@click.command("signalements")
@click.option("--debut", required=True, help="Premier mois, AAAA-MM.")
@click.option("--fin", required=True, help="Dernier mois, AAAA-MM.")
@click.option(
    "--au", "as_of", default=None, help="Date d'examen AAAA-MM-JJ (par défaut : aujourd'hui)."
)
@click.option("--details/--resume", default=False, help="Afficher chaque signalement.")
@with_appcontext
def flags_command(debut: str, fin: str, as_of: str | None, details: bool) -> None:
    """Compte les signalements fiscaux d'une période (toutes provinces)."""
    import datetime as dt

    from console.extensions import db
    from console.security.scoping import NATIONAL
    from console.services.tax.leakage import KIND_LABELS, leakage_flags

    start, end = parse_month(debut), parse_month(fin)
    if start is None or end is None or end < start:
        raise click.BadParameter("indiquez --debut et --fin au format AAAA-MM, dans l'ordre.")
    try:
        day = dt.date.fromisoformat(as_of) if as_of else today_local()
    except ValueError as error:
        raise click.BadParameter("--au attend une date AAAA-MM-JJ.") from error
    from console.services.tax.engine import RuleConflictError

    try:
        flags = leakage_flags(db.session, NATIONAL, start, month_end(end), as_of=day)
    except RuleConflictError as error:
        raise click.ClickException(
            f"Règles fiscales en conflit, à corriger d'abord : {error}"
        ) from error
    counts = Counter(flag.kind for flag in flags)
    for kind, label in KIND_LABELS.items():
        click.echo(f"{label} : {counts[kind]}")
    if details:
        for flag in flags:
            click.echo(
                f"- [{flag.label}] {flag.seller_name} ({flag.period.label}) : {flag.explanation}"
            )
    db.session.rollback()


def register_commands(app) -> None:
    """Attach the console's commands to the app's CLI (dashboards, reports and importers add theirs)."""
    from console.ebms.commands import ebms_drain_command

    for command in (
        load_reference_command,
        init_roles_command,
        seed_demo_command,
        create_admin_command,
        unlock_login_command,
        mevente_refresh_command,
        flags_command,
        ebms_drain_command,
    ):
        app.cli.add_command(command)
