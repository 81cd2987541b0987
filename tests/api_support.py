"""A small world for the integration API's tests: sellers, a tablet, clients and their tokens."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from sqlalchemy import select

from console import models as m

from . import tax_data

_serial = itertools.count(1)


@dataclass
class ApiWorld:
    seller_id: int  # Gitega, VAT-registered: soap at 18 %, beans at 10 %
    other_seller_id: int
    soap_id: int
    beans_id: int
    other_product_id: int
    device_id: int
    storefront_token: str
    tablet_token: str
    tablet_client_id: int
    storefront_client_id: int


def build_api_world(app) -> ApiWorld:
    """Two sellers, a tablet handed to the first, a storefront client and a tablet client."""
    from console.extensions import db
    from console.services.api_clients import create_client
    from console.services.audit import Actor, acting_as

    n = next(_serial)
    with app.app_context(), acting_as(Actor(None, "tests", "cli")):
        session = db.session
        seller = tax_data.make_seller(session, chr(ord("K") + 2 * n), "BI-GI", vat=True)
        other = tax_data.make_seller(session, chr(ord("K") + 2 * n + 1), "BI-NG", vat=False)
        device = m.Device(
            asset_tag=f"TAB-API-{n}",
            serial=f"SN-API-{n}",
            kind=m.DeviceKind.TABLET,
            status=m.DeviceStatus.ASSIGNED,
            province_id=seller.province_id,
        )
        session.add(device)
        session.flush()
        session.add(
            m.DeviceAssignment(
                device_id=device.id,
                cooperative_id=seller.id,
                checked_out_at=dt.datetime(2023, 6, 30, tzinfo=dt.UTC),
                received_by="Présidente",
                condition_out=m.DeviceCondition.NEW,
            )
        )
        session.flush()
        storefront = create_client(session, name=f"Vitrine {n}", kind=m.ApiClientKind.STOREFRONT)
        tablet = create_client(
            session,
            name=f"Tablette {n}",
            kind=m.ApiClientKind.TABLET,
            cooperative_id=seller.id,
            device_id=device.id,
        )
        world = ApiWorld(
            seller_id=seller.id,
            other_seller_id=other.id,
            soap_id=tax_data.product(session, seller, "savon").id,
            beans_id=tax_data.product(session, seller, "haricot-sec").id,
            other_product_id=tax_data.product(session, other, "savon").id,
            device_id=device.id,
            storefront_token=storefront.token,
            tablet_token=tablet.token,
            tablet_client_id=tablet.client.id,
            storefront_client_id=storefront.client.id,
        )
        session.commit()
    return world


def headers(token: str, key: str | None = None) -> dict[str, str]:
    result = {"Authorization": f"Bearer {token}"}
    if key is not None:
        result["Idempotency-Key"] = key
    return result


def count(app, model) -> int:
    from sqlalchemy import func

    from console.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))
