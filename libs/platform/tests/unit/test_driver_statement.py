"""A statement compiled once to driver SQL: placeholders in order, named values and the statement's own
literals bound by position."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, literal, select, text

from aigym_platform.direct_reads import DriverStatement

ITEMS = Table("items", MetaData(), Column("id", Integer), Column("name", String), Column("kind", String))


def test_named_parameters_and_literals_are_bound_in_placeholder_order() -> None:
    statement = DriverStatement.compile(
        select(ITEMS.c.id)
        .where(ITEMS.c.kind == "book", ITEMS.c.name == bindparam("name"), ITEMS.c.id > bindparam("after"))
        .order_by(ITEMS.c.id)
        .limit(bindparam("limit"))
    )

    values = statement.values({"limit": 5, "after": 10, "name": "Dune", "unused": object()})

    assert statement.sql.count("$") == 4
    assert statement.names.index("name") < statement.names.index("after") < statement.names.index("limit")
    assert values == ("book", "Dune", 10, 5)


def test_a_missing_named_parameter_is_an_error_not_a_null() -> None:
    statement = DriverStatement.compile(select(literal(1)).where(ITEMS.c.name == bindparam("name")))

    with pytest.raises(KeyError):
        statement.values({})


def test_only_sql_statements_compile() -> None:
    with pytest.raises(TypeError):
        DriverStatement.compile(ITEMS.c.id.type)  # type: ignore[arg-type]
    assert DriverStatement.compile(text("SELECT 1")).sql == "SELECT 1"
