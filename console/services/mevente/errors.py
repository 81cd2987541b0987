"""Errors of the mévente pages that a user can fix, with the French message to show."""

from __future__ import annotations


class MeventeInputError(ValueError):
    """Bad input (unknown status, malformed id, empty note…): nothing was written."""


class MeventeNotFound(LookupError):
    """No such row in the user's provinces: shown as "not found", never as "forbidden"."""


def parse_id(raw) -> int:
    """A positive integer id from a URL or form value, else a French error."""
    text = str(raw).strip() if raw is not None else ""
    if not text.isdigit() or int(text) <= 0 or len(text) > 12:
        raise MeventeInputError(
            f"Identifiant invalide : « {text[:40]} ». Utilisez le lien de la liste."
        )
    return int(text)


def clean_note(raw, required: bool, limit: int = 2000) -> str | None:
    """A trimmed note; a French error when required and empty, or too long."""
    text = (raw or "").strip()
    if required and not text:
        raise MeventeInputError("La note est obligatoire : indiquez ce qui a été décidé ou fait.")
    if len(text) > limit:
        raise MeventeInputError(f"La note dépasse {limit} caractères : raccourcissez-la.")
    return text or None
