"""HTML to PDF with WeasyPrint: one font configuration, local resources only.

Templates live in ``reports/templates/reports/pdf``. They render with a Jinja
environment of their own (French filters, autoescape), so a report renders the same
from a web request, the command line or a queue worker.
"""

from __future__ import annotations

import functools
from pathlib import Path
from urllib.parse import unquote, urlparse

from jinja2 import Environment, FileSystemLoader, select_autoescape
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from console.formatting import format_date, format_datetime, format_number, format_quantity
from console.services.money import format_francs, format_rate

TEMPLATE_ROOT = Path(__file__).resolve().parent / "templates"
PDF_TEMPLATES = TEMPLATE_ROOT / "reports" / "pdf"


def format_percent(value, decimals: int = 1) -> str:
    """A ratio as a French percentage: 0.256 → ``25,6 %``."""
    if value is None:
        return "—"
    return f"{format_number(value * 100, decimals)}\u00a0%"


def signed_percent(value) -> str:
    """A change as ``+12,5 %`` or ``−3,0 %``; ``—`` when there is nothing to compare with."""
    if value is None:
        return "—"
    text = format_percent(abs(value))
    return ("+" if value >= 0 else "\u2212") + text


@functools.cache
def jinja_env() -> Environment:
    """The PDF templates' environment."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_ROOT)),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        francs=format_francs,
        rate=format_rate,
        date_fr=format_date,
        datetime_fr=format_datetime,
        number_fr=format_number,
        quantity_fr=format_quantity,
        percent_fr=format_percent,
        change_fr=signed_percent,
    )
    return env


def render_html(template: str, context: dict) -> str:
    """Render a PDF template to HTML."""
    return jinja_env().get_template(template).render(**context)


def _is_local(url: str) -> bool:
    """data: URIs, and file: URLs inside the templates folder."""
    parsed = urlparse(url)
    if parsed.scheme == "data":
        return True
    if parsed.scheme != "file":
        return False
    path = Path(unquote(parsed.path)).resolve()
    return path.is_relative_to(TEMPLATE_ROOT)


try:  # WeasyPrint ≥ 68: fetchers are URLFetcher subclasses
    from weasyprint.urls import URLFetcher

    class LocalOnlyFetcher(URLFetcher):
        """Refuses every URL that is not a data: URI or a file of the templates folder."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols={"file", "data"})

        def fetch(self, url, headers=None):
            if not _is_local(url):
                raise ValueError(f"ressource externe refusée : {url}")
            return super().fetch(url, headers)

    def make_fetcher():
        return LocalOnlyFetcher()

except ImportError:  # pragma: no cover - older WeasyPrint: plain fetcher functions
    from weasyprint import default_url_fetcher

    def make_fetcher():
        def fetch(url, timeout=10, ssl_context=None):
            if not _is_local(url):
                raise ValueError(f"ressource externe refusée : {url}")
            return default_url_fetcher(url, timeout=timeout, ssl_context=ssl_context)

        return fetch


@functools.cache
def font_config() -> FontConfiguration:
    """The one font configuration of the process (building one scans the system fonts)."""
    return FontConfiguration()


@functools.cache
def stylesheet() -> CSS:
    """The reports' stylesheet, parsed once."""
    return CSS(
        filename=str(PDF_TEMPLATES / "report.css"),
        font_config=font_config(),
        url_fetcher=make_fetcher(),
    )


def render_pdf(html: str) -> bytes:
    """Lay out and write a PDF from report HTML."""
    document = HTML(string=html, base_url=str(PDF_TEMPLATES) + "/", url_fetcher=make_fetcher())
    return document.write_pdf(stylesheets=[stylesheet()], font_config=font_config())
