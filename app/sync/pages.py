"""Connectors: add (form from the config model, secrets write-only), test, sync now, history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.core import flash
from app.core.csrf import CsrfChecked
from app.core.errors import SeatwiseError
from app.core.pages import ConnectorsUser, PostedForm, render
from app.deps import SessionDep, SettingsDep, get_engine
from app.sync import configs, progress
from app.sync.config_form import config_from_form, form_fields
from app.sync.runs import describe_error, list_runs, run_view
from connectors.registry import connector_kinds

router = APIRouter(tags=["pages"])
RUNS_SHOWN = 20


@router.get("/connectors", response_class=HTMLResponse)
def connectors_page(request: Request, user: ConnectorsUser, session: SessionDep) -> Response:
    """Every configured connector with its last run."""
    rows = configs.list_connectors(session=session)
    last = configs.last_runs(session=session, connector_ids=[r.id for r in rows if r.id])
    items = [{**configs.masked_view(r), "last_run": last.get(r.id) if r.id else None} for r in rows]
    runs, _ = list_runs(session=session, limit=RUNS_SHOWN)
    context = {
        "items": items,
        "kinds": connector_kinds(),
        "runs": [run_view(run, name) for run, name in runs],
    }
    return render(request, "sync/connectors.html", user, context)


def _form_context(kind: str, values: dict[str, Any], error: str | None) -> dict[str, Any]:
    model = configs.connector_class(kind).config_model
    return {"kind": kind, "fields": form_fields(model), "values": values, "error": error}


@router.get("/connectors/new", response_class=HTMLResponse)
def new_connector(request: Request, user: ConnectorsUser, kind: str = "") -> Response:
    """The form to add a connector of ``kind`` (or the choice of kind)."""
    if kind not in connector_kinds():
        return render(request, "sync/choose_kind.html", user, {"kinds": connector_kinds()})
    return render(request, "sync/new.html", user, {**_form_context(kind, {}, None), "name": ""})


@router.post("/connectors/new", response_class=HTMLResponse)
def add_connector(
    request: Request,
    user: ConnectorsUser,
    _csrf: CsrfChecked,
    session: SessionDep,
    settings: SettingsDep,
    kind: Annotated[str, Query()],
    form: PostedForm,
) -> Response:
    """Validate and store the connector; the form comes back with the problem named."""
    model = configs.connector_class(kind).config_model
    data = config_from_form(model, form)
    name = str(form.get("name") or "").strip()
    try:
        row = configs.add_connector(
            session=session, settings=settings, kind=kind, name=name, config=data
        )
    except SeatwiseError as exc:
        secret = model.secret_fields() if hasattr(model, "secret_fields") else set()
        shown = {k: v for k, v in data.items() if k not in secret}
        context = {**_form_context(kind, shown, str(exc)), "name": name}
        return render(request, "sync/new.html", user, context, status_code=exc.status_code)
    return RedirectResponse(f"/connectors/{row.name}?added=1", status_code=303)


@router.get("/connectors/{name}", response_class=HTMLResponse)
def connector_detail(
    request: Request, name: str, user: ConnectorsUser, session: SessionDep
) -> Response:
    """One connector: settings (secrets masked), test, sync now, run history."""
    row = configs.get_connector_config(session=session, name=name)
    context = {
        "c": configs.masked_view(row),
        **_runs_context(session, name),
        "tested": tested["tested"][0] if (tested := flash.shown(request, "tested", "ok")) else None,
        "test_ok": bool(tested and tested["ok"] == ["1"]),
        "added": request.query_params.get("added") == "1",
    }
    return render(request, "sync/connector.html", user, context)


def _runs_context(session: SessionDep, name: str) -> dict[str, Any]:
    runs, total = list_runs(session=session, connector=name, limit=RUNS_SHOWN)
    views = [run_view(run, name) for run, _ in runs]
    state = progress.progress_of(name)
    running = (state is not None and state.running) or any(v["status"] == "running" for v in views)
    return {"name": name, "runs": views, "runs_total": total, "progress": state, "running": running}


@router.get("/connectors/{name}/runs", response_class=HTMLResponse)
def connector_runs(
    request: Request, name: str, user: ConnectorsUser, session: SessionDep
) -> Response:
    """The run history fragment (polled by htmx while a sync runs)."""
    configs.get_connector_config(session=session, name=name)
    return render(request, "sync/_runs.html", user, _runs_context(session, name))


@router.post("/connectors/{name}/test")
def test_connector(
    request: Request,
    name: str,
    user: ConnectorsUser,
    _csrf: CsrfChecked,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Check the credentials with one cheap call; say what happened in plain words."""
    row = configs.get_connector_config(session=session, name=name)
    try:
        message, ok = str(configs.build_connector(row, settings).check()), True
    except Exception as exc:
        message, ok = describe_error(exc), False
    if request.headers.get("hx-request"):
        return render(request, "sync/_test_result.html", user, {"message": message, "ok": ok})
    query = flash.signed_query(request, [("tested", message), ("ok", "1" if ok else "0")])
    return RedirectResponse(f"/connectors/{name}?{query}", status_code=303)


@router.post("/connectors/{name}/sync")
def sync_now(
    request: Request,
    name: str,
    user: ConnectorsUser,
    _csrf: CsrfChecked,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Start a sync in the background; the page shows its progress."""
    configs.get_connector_config(session=session, name=name)
    progress.start_sync(engine=get_engine(request), settings=settings, name=name)
    if request.headers.get("hx-request"):
        return render(request, "sync/_runs.html", user, _runs_context(session, name))
    return RedirectResponse(f"/connectors/{name}#runs", status_code=303)
