"""Isoko: the back-office and regulator console of Burundi's cooperative e-commerce platform."""

from __future__ import annotations

from flask import Flask

from config import Config, config_for_environment


class ConfigurationError(RuntimeError):
    """Start-up refused because a required setting is missing or unsafe."""


# A shorter key can be guessed offline from one signed cookie, then sessions forged.
MIN_SECRET_KEY_BYTES = 32


def _check_secrets(app: Flask) -> None:
    """Require ISOKO_SECRET_KEY, of at least 32 bytes, outside development and demo mode."""
    relaxed = app.config.get("ENV_NAME") in {"development", "testing"} or app.config.get(
        "DEMO_MODE"
    )
    key = app.config.get("SECRET_KEY")
    if key:
        size = len(key.encode("utf-8") if isinstance(key, str) else key)
        if size < MIN_SECRET_KEY_BYTES and not relaxed:
            raise ConfigurationError(
                f"ISOKO_SECRET_KEY est trop courte ({size} octets) : il en faut au moins "
                f'{MIN_SECRET_KEY_BYTES} (par exemple `python -c "import secrets; '
                f'print(secrets.token_hex(32))"`).'
            )
        return
    if relaxed:
        import secrets

        app.config["SECRET_KEY"] = secrets.token_hex(32)
        return
    raise ConfigurationError(
        "ISOKO_SECRET_KEY est obligatoire en production : définissez une valeur secrète "
        'et stable (par exemple `python -c "import secrets; print(secrets.token_hex(32))"`).'
    )


def create_app(config_class: type[Config] | None = None) -> Flask:
    """Build the Flask app: database, Flask-AppBuilder console, security, CLI."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(config_class or config_for_environment())
    _check_secrets(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        from pathlib import Path

        # SQLite has one writer at a time: let a second writer wait for an import to
        # commit (30 s) instead of failing at once with "database is locked".
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options["connect_args"] = {"timeout": 30, **options.get("connect_args", {})}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

        Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )

    from flask_appbuilder import AppBuilder
    from flask_wtf.csrf import CSRFProtect

    from console import models  # noqa: F401  (registers every table)
    from console.database import install_engine_hooks, install_read_replica
    from console.extensions import db, migrate
    from console.security.headers import install_security_headers
    from console.services.audit import install_audit_listener
    from console.services.ebms.tin import install_tin_listener
    from console.translations import install_translations

    install_translations(app)  # before AppBuilder: it loads the catalogues once
    CSRFProtect(app)
    with app.app_context():
        db.init_app(app)
        install_engine_hooks(app, db)
        install_read_replica(app, db)
        migrate.init_app(app, db, directory=str(_migrations_dir()))
        # A fresh AppBuilder per app: FAB keeps its registered views on the instance.
        appbuilder = AppBuilder()
        appbuilder.init_app(app, db.session)
        install_audit_listener(db.session)
        install_tin_listener()
        from console.views import register_views

        register_views(appbuilder)
        from console.features import init_features

        init_features(app, appbuilder)
    install_security_headers(app)
    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    from console.observability import install_observability

    install_observability(app)
    _install_favicon(app)
    from console.formatting import install_template_filters

    install_template_filters(app)
    from console.navbar import install_navbar

    install_navbar(app)
    from console.cli import register_commands

    register_commands(app)
    return app


def _install_favicon(app: Flask) -> None:
    """Serve /favicon.ico (browsers ask for it at the root; nginx serves it in production)."""
    from pathlib import Path

    from flask import send_from_directory

    folder = Path(__file__).resolve().parent / "static" / "isoko"

    @app.route("/favicon.ico")
    def favicon():
        return send_from_directory(folder, "favicon.ico", mimetype="image/vnd.microsoft.icon")


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"
