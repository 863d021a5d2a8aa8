"""The declarative base, and the one place where SQLite's DDL departs from PostgreSQL's.

Every tenant-owned table has the primary key (tenant_id, id), so PostgreSQL + Citus can distribute it by
tenant. SQLite cannot auto-number a column of a composite key, so there `id` becomes the table's
INTEGER PRIMARY KEY (AUTOINCREMENT: ids are never reused) and (tenant_id, id) a UNIQUE constraint, which
composite foreign keys can reference all the same. The ORM sees the same key on both engines.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Identity, MetaData, PrimaryKeyConstraint
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.schema import CreateColumn

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TenantOwned:
    """Mixin: (tenant_id, id) primary key; ids come from the database."""

    tenant_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)


def _key(table_or_pk: Any) -> list[str]:
    pk = getattr(table_or_pk, "primary_key", table_or_pk)
    return [c.name for c in pk.columns]


@compiles(CreateColumn, "sqlite")
def _sqlite_id_column(element: Any, compiler: Any, **kw: Any) -> str | None:
    column = element.element
    if (
        column.name == "id"
        and column.table is not None
        and _key(column.table) in (["id"], ["tenant_id", "id"])
    ):
        return "id INTEGER PRIMARY KEY AUTOINCREMENT"
    text: str | None = compiler.visit_create_column(element, **kw)
    return text


@compiles(PrimaryKeyConstraint, "sqlite")
def _sqlite_tenant_key(constraint: PrimaryKeyConstraint, compiler: Any, **kw: Any) -> str | None:
    key = _key(constraint) if constraint.table is not None else []
    if key == ["tenant_id", "id"]:
        return f"CONSTRAINT pk_{constraint.table.name} UNIQUE (tenant_id, id)"
    if key == ["id"]:
        return None  # the id column itself is the INTEGER PRIMARY KEY
    text: str | None = compiler.visit_primary_key_constraint(constraint, **kw)
    return text
