"""Start-up checks that refuse an unsafe production configuration."""

from __future__ import annotations

from flask import Flask

RELAXED_ENVIRONMENTS = frozenset({"development", "testing"})


def check_production_settings(app: Flask) -> None:
    """Refuse debug mode, and insecure cookies, outside development, tests and demo."""
    from console import ConfigurationError

    if app.config.get("ENV_NAME") in RELAXED_ENVIRONMENTS or app.config.get("DEMO_MODE"):
        return
    if app.debug:
        raise ConfigurationError(
            "Le mode debug est interdit en production (il exécute du code envoyé par le "
            "navigateur en cas d'erreur) : retirez FLASK_DEBUG."
        )
    if not app.config.get("SESSION_COOKIE_SECURE"):
        raise ConfigurationError(
            "En production, les cookies de session doivent être sécurisés (HTTPS) : retirez "
            "ISOKO_SECURE_COOKIES=0 ou servez la console derrière HTTPS."
        )
