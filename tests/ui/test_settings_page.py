"""The settings page: API tokens, user roles, recorded job runs, ending a user's logins."""

from __future__ import annotations

import re

from tests.ui.conftest import Web, csrf_of


def test_new_api_token_is_shown_once(web: Web) -> None:
    client = web.client("admin")
    page = client.get("/settings")
    response = client.post(
        "/settings/tokens",
        data={"csrf": csrf_of(page.text), "user_id": str(web.user_ids["viewer"]), "name": "ci"},
    )
    token = re.search(r'id="new-token">(sw_[^<]+)<', response.text)
    assert token
    assert token.group(1) not in client.get("/settings").text
    api = web.client(None)
    api.headers["Authorization"] = f"Bearer {token.group(1)}"
    assert api.get("/api/v1/me").json()["role"] == "viewer"


def test_settings_refuses_an_unknown_role_and_names_it(web: Web) -> None:
    client = web.client("admin")
    page = client.get("/settings")
    response = client.post(
        f"/settings/users/{web.user_ids['viewer']}",
        data={"csrf": csrf_of(page.text), "role": "emperor", "active": "on"},
    )
    assert response.status_code == 422
    assert "unknown role &#39;emperor&#39;" in response.text


def test_settings_lists_recorded_job_runs(web: Web) -> None:
    from app.core.settings import Settings
    from app.jobs import run_recorded

    settings = Settings(secret_key="k" * 40, environment="test", _env_file=None)  # type: ignore[call-arg]

    def failing(_engine: object, _settings: object) -> str:
        raise RuntimeError("SMTP relay refused the login")

    run_recorded(web.db.engine, settings, "digest", failing)
    run_recorded(web.db.engine, settings, "alerts", lambda _e, _s: "3 alerts queued")
    text = web.client("admin").get("/settings").text
    assert "Scheduled jobs" in text
    assert "3 alerts queued" in text
    assert "RuntimeError: SMTP relay refused the login" in text


def test_an_admin_ends_a_users_logins_from_settings_and_the_api(web: Web) -> None:
    viewer, other = web.client("viewer"), web.client("viewer")
    assert viewer.get("/api/v1/me").status_code == 200
    admin = web.client("admin")
    page = admin.get("/settings")
    assert "Open logins" in page.text
    assert 'aria-label="End the open logins of viewer@example.com"' in page.text
    # Nobody else may: a form post from a viewer is refused.
    own = csrf_of(viewer.get("/").text)
    refused = viewer.post(f"/settings/users/{web.user_ids['admin']}/logout", data={"csrf": own})
    assert refused.status_code == 403 and "Forbidden" in refused.text
    ended = admin.post(
        f"/settings/users/{web.user_ids['viewer']}/logout",
        data={"csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert ended.status_code == 303 and "Logins+ended" in ended.headers["location"]
    assert viewer.get("/api/v1/me").status_code == 401
    assert other.get("/api/v1/me").status_code == 401
    assert admin.get("/api/v1/me").status_code == 200
    web.client("finance")
    api = web.client(None)
    api.headers["Authorization"] = f"Bearer {web.tokens['admin']}"
    answer = api.post(f"/api/v1/admin/users/{web.user_ids['finance']}/logout")
    assert answer.json() == {"ended": 1}
    assert api.post("/api/v1/admin/users/999999/logout").status_code == 404
