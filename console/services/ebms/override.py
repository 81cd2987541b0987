"""The Admin's per-seller override of the eBMS transmission rule (``Cooperative.ebms_transmit``).

Three choices: transmit whatever the rule says, never transmit, or follow the configured
rule (:func:`console.services.ebms.outbox.transmits`, the one owner of what transmits).
The change goes through the audit trail like every write; it applies to sales stamped
afterwards (already written invoices stay in the outbox).
"""

from __future__ import annotations

from flask_babel import lazy_gettext
from sqlalchemy.orm import Session

from console import models as m
from console.security.scoping import ProvinceScope, get_in_scope
from console.services.commands import Command
from console.translations import gettext as _

TRANSMIT, NEVER, FOLLOW = "transmit", "never", "follow"
CHOICES = {
    FOLLOW: (None, lazy_gettext("Suivre le réglage général")),
    TRANSMIT: (True, lazy_gettext("Toujours transmettre à l'OBR")),
    NEVER: (False, lazy_gettext("Ne jamais transmettre")),
}


def choice_of(value: bool | None) -> str:
    """The form choice of a stored override."""
    return next(key for key, (stored, _label) in CHOICES.items() if stored is value)


def label_of(value: bool | None) -> str:
    """The French label of a stored override."""
    return str(CHOICES[choice_of(value)][1])


class SetEbmsTransmission(Command):
    """Set a seller's override: transmit, never, or follow the setting (audited)."""

    def __init__(
        self, session: Session, scope: ProvinceScope, *, cooperative_id, choice: str | None
    ) -> None:
        self.cooperative = get_in_scope(session, m.Cooperative, cooperative_id, scope)
        self.choice = choice if choice in CHOICES else None

    def validate(self) -> list[str]:
        if self.cooperative is None:
            return [_("Coopérative introuvable.")]
        if self.choice is None:
            return [_("Choisissez : suivre le réglage général, toujours transmettre ou jamais.")]
        if CHOICES[self.choice][0] is self.cooperative.ebms_transmit:
            return [
                _(
                    "« %(name)s » est déjà sur « %(choice)s ».",
                    name=self.cooperative.name,
                    choice=str(CHOICES[self.choice][1]),
                )
            ]
        if self.choice == TRANSMIT and not (self.cooperative.nif or "").strip():
            return [
                _(
                    "« %(name)s » n'a pas de NIF : l'OBR refuserait ses factures. Saisissez "
                    "d'abord son NIF.",
                    name=self.cooperative.name,
                )
            ]
        return []

    def apply(self) -> m.Cooperative:
        self.cooperative.ebms_transmit = CHOICES[self.choice][0]
        return self.cooperative
