"""Page tokens and the audit chain's hashing, without a database."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from aigym_platform.audit import GENESIS_HASH, chain_hash, digest
from aigym_platform.errors import InvalidArgument
from aigym_platform.pagination import Cursor, decode_token, encode_token, page_size


def test_page_token_round_trips_and_is_bound_to_filters() -> None:
    filters = {"tag": "ai", "state": None}
    token = encode_token(Cursor(("2026-01-01T00:00:00+00:00", "abc")), filters)
    assert decode_token(token, filters) == Cursor(("2026-01-01T00:00:00+00:00", "abc"))
    assert decode_token("", filters) is None
    with pytest.raises(InvalidArgument):
        decode_token(token, {"tag": "data", "state": None})
    with pytest.raises(InvalidArgument):
        decode_token("%%%not-base64", filters)


def test_remembered_filter_fingerprints_keep_types_and_unhashable_filters_still_work() -> None:
    token = encode_token(Cursor((5,)), {"flag": True, "n": 1})
    listed = {"states": ["active", "completed"]}  # unhashable: fingerprinted afresh each time

    assert decode_token(token, {"flag": True, "n": 1}) == Cursor((5,))
    for other in ({"flag": 1, "n": 1}, {"flag": True, "n": 1.0}, {"flag": True, "n": True}):
        with pytest.raises(InvalidArgument):
            decode_token(token, other)
    assert decode_token(encode_token(Cursor(("x",)), listed), dict(listed)) == Cursor(("x",))
    with pytest.raises(InvalidArgument):
        decode_token(encode_token(Cursor(("x",)), listed), {"states": ["active"]})


def test_a_cursor_s_typed_values_refuse_what_a_client_altered() -> None:
    when, ident = dt.datetime(2026, 11, 27, 9, tzinfo=dt.UTC), uuid.uuid4()
    token = encode_token(Cursor((when.isoformat(), str(ident), "ada", 7, 0.5)), {"f": 1})
    cursor = decode_token(token, {"f": 1})
    assert cursor is not None
    assert (cursor.time(0), cursor.uuid(1), cursor.text(2), cursor.integer(3), cursor.number(4)) == (
        when,
        ident,
        "ada",
        7,
        0.5,
    )
    assert cursor.number(3) == 7.0
    altered = Cursor(("yesterday", "not-a-uuid", 5, "7", True, "2026-11-27T09:00:00"))
    for read in (
        lambda: altered.time(0),
        lambda: altered.uuid(1),
        lambda: altered.text(2),
        lambda: altered.integer(3),
        lambda: altered.integer(4),  # a boolean is not a number here
        lambda: altered.number(4),
        lambda: altered.time(5),  # no time zone
        lambda: altered.text(9),  # missing
    ):
        with pytest.raises(InvalidArgument) as refused:
            read()
        assert refused.value.violations[0].field == "page_token"


def test_page_size_defaults_and_caps() -> None:
    assert (page_size(0), page_size(10), page_size(10_000)) == (50, 10, 200)


def test_chain_hash_covers_every_field_and_the_link() -> None:
    row = {
        "tenant_id": uuid.uuid4(),
        "seq": 1,
        "occurred_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        "actor": "a",
        "real_actor": None,
        "action": "x.create",
        "resource_type": "x",
        "resource_id": "1",
        "request_id": "r",
        "before_digest": None,
        "after_digest": digest({"k": 1}),
    }
    base = chain_hash(GENESIS_HASH, row)
    assert chain_hash(GENESIS_HASH, dict(row)) == base
    assert chain_hash("f" * 64, row) != base
    for field, value in (("actor", "b"), ("seq", 2), ("after_digest", digest({"k": 2}))):
        assert chain_hash(GENESIS_HASH, {**row, field: value}) != base


def test_digest_is_canonical() -> None:
    assert digest({"a": 1, "b": [1, 2]}) == digest({"b": [1, 2], "a": 1})
    assert digest(None) is None
