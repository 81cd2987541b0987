"""The dashboards' charts, one module per page; importing this package declares them all."""

from .. import shell
from . import mevente, pilote, recettes, ventes  # noqa: F401

shell.declare_chart_callbacks()
