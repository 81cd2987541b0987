"""The dashboards' charts, one module per page; importing this package declares them all,
with the shell's callbacks (the charts' one fills whichever charts a page shows)."""

from .. import shell  # noqa: F401
from . import mevente, pilote, recettes, ventes  # noqa: F401
