"""Fill in deploy/nginx-isoko.conf for this installation and print it.

Run it with the virtual environment's Python, the one gunicorn runs with, so that the
static folders it names are those of the installed Flask-AppBuilder and Dash:

    .venv/bin/python deploy/nginx_config.py --precompress > /etc/nginx/sites-available/isoko

``--precompress`` writes a .gz beside each text file nginx serves (gzip_static); run it
again after every `pip install` (deploy/README.md, upgrade procedure).
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx-isoko.conf"
COMPRESSIBLE = {".js", ".css", ".map", ".json", ".svg", ".txt", ".ttf", ".otf", ".eot", ".ico"}
MIN_BYTES = 1024  # = gzip_min_length


def package_folder(name: str) -> Path:
    """The folder of an importable package, without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"paquet introuvable dans cet environnement : {name}")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def site_packages() -> Path:
    """Where Flask-AppBuilder and Dash are installed (one folder for both)."""
    folders = {package_folder(name).parent for name in ("flask_appbuilder", "dash")}
    if len(folders) != 1:
        raise SystemExit(f"flask_appbuilder et dash sont installés à deux endroits : {folders}")
    return folders.pop()


def served_paths(site: Path, root: Path) -> list[Path]:
    """Every folder (or file) the configuration lets nginx read."""
    return [
        site / "flask_appbuilder" / "static" / "appbuilder",
        site / "dash",
        site / "plotly" / "package_data" / "plotly.min.js",
        root / "console" / "static",
        root / "dashboards" / "assets",
    ]


def render(values: dict[str, str]) -> str:
    """The template with each @NAME@ replaced; refuse a placeholder left unfilled."""
    text = TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    leftover = sorted({part for part in text.split("@")[1::2] if part.isupper()})
    if leftover:
        raise SystemExit(f"valeurs manquantes pour : {', '.join(leftover)}")
    return text


def precompress(paths: list[Path]) -> int:
    """Write FILE.gz beside each text file where it is missing or stale; return how many.

    A .gz is compared with its file by content, not by date: pip does not keep dates, and
    a stale .gz would serve the previous version's script.
    """
    written = 0
    for top in paths:
        for path in top.rglob("*") if top.is_dir() else [top]:
            if path.suffix not in COMPRESSIBLE or not path.is_file():
                continue
            data = path.read_bytes()
            if len(data) < MIN_BYTES:
                continue
            target = path.with_name(path.name + ".gz")
            if target.exists() and gzip.decompress(target.read_bytes()) == data:
                continue
            target.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
            written += 1
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server-name", default="isoko.example.bi")
    parser.add_argument("--certificate", default="/etc/ssl/isoko/fullchain.pem")
    parser.add_argument("--certificate-key", default="/etc/ssl/isoko/privkey.pem")
    parser.add_argument("--upstream", default="127.0.0.1:8080", help="ISOKO_BIND de gunicorn")
    parser.add_argument("--https-port", default="443")
    parser.add_argument("--http-port", default="80")
    parser.add_argument("--root", default=str(ROOT), help="le dépôt où tourne gunicorn")
    parser.add_argument(
        "--precompress",
        action="store_true",
        help="écrire les .gz des fichiers statiques (gzip_static)",
    )
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    site = site_packages()
    if args.precompress:
        count = precompress(served_paths(site, root))
        print(f"{count} fichier(s) .gz écrit(s)", file=sys.stderr)
    sys.stdout.write(
        render(
            {
                "UPSTREAM": args.upstream,
                "SERVER_NAME": args.server_name,
                "HTTP_PORT": args.http_port,
                "HTTPS_PORT": args.https_port,
                "CERTIFICATE": args.certificate,
                "CERTIFICATE_KEY": args.certificate_key,
                "SITE_PACKAGES": str(site),
                "ISOKO_ROOT": str(root),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
