"""Demo integration API clients: the storefront and the tablet of a Gitega pioneer, with a curl example."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from console import models as m
from console.services.api_clients import create_client
from console.services.periods import BUJUMBURA


def _gitega_tablet(session: Session) -> tuple[m.Cooperative, m.Device] | None:
    """A pioneer of Gitega (either map) holding a tablet now, or None."""
    gitega = select(m.Province.id).where(m.Province.name == "Gitega")
    row = session.execute(
        select(m.Cooperative, m.Device)
        .join(m.DeviceAssignment, m.DeviceAssignment.cooperative_id == m.Cooperative.id)
        .join(m.Device, m.Device.id == m.DeviceAssignment.device_id)
        .where(
            m.Cooperative.is_pioneer.is_(True),
            m.Cooperative.status == m.CooperativeStatus.ACTIVE,
            m.Cooperative.province_id.in_(gitega) | m.Cooperative.province_2025_id.in_(gitega),
            m.DeviceAssignment.checked_in_at.is_(None),
            m.Device.kind == m.DeviceKind.TABLET,
            m.Device.status == m.DeviceStatus.ASSIGNED,
        )
        .order_by(m.Cooperative.id)
        .limit(1)
    ).first()
    return tuple(row) if row else None


def create_demo_api_clients(session: Session, base_url: str) -> list[str]:
    """Create the two demo clients; the messages to print (tokens shown once, a curl call)."""
    storefront = create_client(
        session, name="Vitrine nationale (démo)", kind=m.ApiClientKind.STOREFRONT
    )
    messages = [
        f"Client API « {storefront.client.name} » : jeton (affiché une seule fois) {storefront.token}"
    ]
    found = _gitega_tablet(session)
    if found is None:
        return [
            *messages,
            "Aucune tablette remise à un pionnier de Gitega : pas de client tablette de démo.",
        ]
    cooperative, device = found
    tablet = create_client(
        session,
        name=f"Tablette {device.asset_tag} — {cooperative.name}",
        kind=m.ApiClientKind.TABLET,
        cooperative_id=cooperative.id,
        device_id=device.id,
    )
    messages.append(
        f"Client API « {tablet.client.name} » : jeton (affiché une seule fois) {tablet.token}"
    )
    product = session.scalars(
        select(m.Product)
        .where(m.Product.cooperative_id == cooperative.id)
        .order_by(m.Product.id)
        .limit(1)
    ).first()
    if product is not None:
        from console.models.types import utcnow

        body = {
            "seller_id": cooperative.id,
            "placed_at": utcnow().astimezone(BUJUMBURA).isoformat(timespec="seconds"),
            "lines": [{"product_id": product.id, "quantity": 2, "unit_price": 3000}],
        }
        messages.append(
            "Enregistrer une vente depuis la tablette (documentation : /swagger/v1) :\n"
            f"  curl -X POST {base_url}api/v1/integration/orders \\\n"
            f"    -H 'Authorization: Bearer {tablet.token}' \\\n"
            '    -H "Idempotency-Key: $(cat /proc/sys/kernel/random/uuid)" \\\n'
            "    -H 'Content-Type: application/json' \\\n"
            f"    -d '{json.dumps(body, ensure_ascii=False)}'"
        )
    return messages
