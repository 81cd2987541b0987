"""Which provinces each user may see: the root of province scoping."""

from sqlalchemy import Column, ForeignKey, Integer, Table

from console.extensions import Model

user_province = Table(
    "user_province",
    Model.metadata,
    Column("user_id", Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True),
    Column("province_id", Integer, ForeignKey("province.id", ondelete="CASCADE"), primary_key=True),
)
