"""python -m bench.load [--scale 1m] [--users 50] [--duration 120] [--workers 4] …"""

from __future__ import annotations

import argparse
import shlex
import sys

from bench.common import PG_ADMIN_URL, parse_scale
from bench.results import machine_description, write_section

from .report import markdown, terminal_text
from .runner import Settings, run


def parse(argv: list[str] | None) -> tuple[Settings, argparse.Namespace]:
    """The command line: scale, users, duration, workers, reuse and switches."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.load",
        description="Test de charge (locust) et exercice de panne contre gunicorn, RQ et Redis.",
    )
    parser.add_argument(
        "--scale", default="1m", help="lignes de commande : 20k, 100k, 1m ou un nombre"
    )
    parser.add_argument("--users", type=int, default=50, help="utilisateurs simulés (50)")
    parser.add_argument(
        "--duration", type=int, default=120, help="durée de la charge, en secondes (120)"
    )
    parser.add_argument("--workers", type=int, default=4, help="workers gunicorn (4)")
    # People arrive at the console over minutes; 2 per second (all 50 within 25 s) is a
    # crowd, not a stampede of simultaneous sign-ins, each a deliberate 0.1 s of scrypt.
    parser.add_argument(
        "--spawn-rate",
        type=float,
        default=2,
        help="utilisateurs qui arrivent (et se connectent) par seconde (2)",
    )
    parser.add_argument("--database-url", help="réutiliser une base déjà construite (pas de semis)")
    parser.add_argument("--skip-drill", action="store_true", help="sans l'exercice de panne")
    parser.add_argument(
        "--skip-order-lists",
        action="store_true",
        help="diagnostic : sans la liste ni la recherche des commandes",
    )
    parser.add_argument("--no-write", action="store_true", help="ne pas écrire bench/RESULTS.md")
    parser.add_argument(
        "--keep", action="store_true", help="garder la base et le dossier de travail"
    )
    parser.add_argument(
        "--drain",
        type=int,
        default=480,
        help="attente maximale des rapports après la charge, en secondes (480 : "
        "RQ relance le travail d'un travailleur tué en 2 à 3 min)",
    )
    args = parser.parse_args(argv)
    return Settings(
        order_lines=parse_scale(args.scale),
        users=args.users,
        duration=args.duration,
        workers=args.workers,
        spawn_rate=args.spawn_rate,
        database_url=args.database_url,
        drill=not args.skip_drill,
        keep=args.keep,
        drain_s=args.drain,
        skip_orders=args.skip_order_lists,
    ), args


def main(argv: list[str] | None = None) -> int:
    """Run, print, write the ``load`` section; non-zero exit on errors or a failed drill."""
    settings, args = parse(argv)
    machine = machine_description(PG_ADMIN_URL)  # the load average before the run
    try:
        result = run(settings)
    except KeyboardInterrupt:
        print(
            "\ninterrompu : services arrêtés"
            + ("" if settings.database_url or settings.keep else ", base de travail supprimée"),
            file=sys.stderr,
        )
        return 130
    print(terminal_text(result), flush=True)
    if not args.no_write:
        shown = [
            "…" if a.startswith("postgresql") else a
            for a in (argv if argv is not None else sys.argv[1:])
        ]
        command = ("python -m bench.load " + shlex.join(shown)).strip()
        # A diagnostic run has its own section: it never replaces the full mix's figures.
        section = "load-sans-commandes" if settings.skip_orders else "load"
        path = write_section(section, markdown(result, machine, command))
        print(f"Résultats écrits dans {path} (section {section})")
    return 1 if result.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
