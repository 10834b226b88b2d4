"""Frame schemas: missing columns and unreadable values fail with clear errors."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.frames import SCHEMAS, Frames, FrameSchemaError, empty_frame, validate_frame
from tests.analytics.company import Company, days_ago


def test_validate_frame_names_the_missing_columns() -> None:
    frame = empty_frame("accounts").drop(columns=["last_active_at", "is_guest"])
    with pytest.raises(
        FrameSchemaError, match="accounts frame is missing column\\(s\\): is_guest, last_active_at"
    ):
        validate_frame("accounts", frame)


def test_validate_frame_rejects_an_unknown_frame_name() -> None:
    with pytest.raises(FrameSchemaError, match="unknown frame 'seats'"):
        validate_frame("seats", pd.DataFrame())


def test_validate_frame_rejects_a_non_dataframe() -> None:
    with pytest.raises(FrameSchemaError, match="must be a pandas DataFrame, got list"):
        validate_frame("accounts", [])  # type: ignore[arg-type]


def test_validate_frame_rejects_an_unreadable_timestamp(company: Company) -> None:
    company.account("a@example.com", last_active_at=days_ago(1))
    frame = company.frame("accounts")
    frame["last_active_at"] = ["yesterday-ish"]
    with pytest.raises(FrameSchemaError, match="column 'last_active_at' cannot be read"):
        validate_frame("accounts", frame)


def test_validate_frame_rejects_a_null_identifier(company: Company) -> None:
    company.app("Slack")
    frame = company.frame("applications")
    frame["application_id"] = [None]
    with pytest.raises(FrameSchemaError, match="'application_id' cannot be read as int64"):
        validate_frame("applications", frame)


def test_validate_frame_rejects_an_unknown_account_status(company: Company) -> None:
    company.account("a@example.com", status="disabled")
    with pytest.raises(FrameSchemaError, match="unknown status disabled"):
        validate_frame("accounts", company.frame("accounts"))


def test_validate_frame_rejects_an_unknown_billing_cycle(company: Company) -> None:
    company.contract(application_id=1, billing_cycle="fortnightly", number="X-9")
    with pytest.raises(FrameSchemaError, match="unknown billing_cycle \\('X-9': 'fortnightly'\\)"):
        validate_frame("subscriptions", company.frame("subscriptions"))


def test_validate_frame_coerces_timestamps_to_utc_and_null_booleans_to_false(
    company: Company,
) -> None:
    company.account("a@example.com", last_active_at=days_ago(1))
    frame = company.frame("accounts")
    frame["last_active_at"] = ["2026-11-24T10:00:00+02:00"]
    frame["is_guest"] = [None]
    out = validate_frame("accounts", frame)
    assert str(out["last_active_at"].iloc[0]) == "2026-11-24 08:00:00+00:00"
    assert out["is_guest"].tolist() == [False]


def test_empty_frames_make_an_empty_analysis() -> None:
    frames = Frames(**{name: empty_frame(name) for name in SCHEMAS})
    assert len(frames.accounts) == 0


def test_validate_frame_rejects_repeated_identifiers(company: Company) -> None:
    app = company.app("Slack")
    company.product(app, "A", product_id=7)
    company.product(app, "B", product_id=7)
    with pytest.raises(FrameSchemaError, match="products frame repeats product_id 7"):
        validate_frame("products", company.frame("products"))
