"""HTTP security headers on every response, and no caching of what a signed-in user sees."""

from flask import Flask, request
from flask_login import current_user

# FAB's templates use inline scripts and styles, and Dash renders with inline styles and
# evaluates callbacks' code: the CSP allows those from our own origin only.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


# Files that are the same for everyone (the app's, FAB's, Dash's scripts and styles): a
# browser or proxy may keep them. Everything else a signed-in user receives is theirs.
STATIC_ENDPOINTS = frozenset({"static", "appbuilder.static"})
DASH_ASSET_PATHS = ("/_dash-component-suites/", "/assets/")


def is_shared_asset() -> bool:
    """Whether the request is for a static file, the same for every user."""
    return request.endpoint in STATIC_ENDPOINTS or (
        request.path.startswith("/dashboards/") and any(p in request.path for p in DASH_ASSET_PATHS)
    )


def install_security_headers(app: Flask) -> None:
    """Add CSP, framing, sniffing and referrer headers to every response."""

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not is_shared_asset() and (
            current_user.is_authenticated
            or "attachment" in response.headers.get("Content-Disposition", "")
        ):
            # Pages, exports and downloads: not kept by the browser's cache or a proxy, so
            # the back button after sign-out or a shared computer shows nothing.
            response.headers["Cache-Control"] = "no-store"
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response
