"""Portfolio monitoring over HTTP, and the API key of the endpoints that write: listing and
alerts for anyone, monitoring only with the key the server was started with (none configured:
refused with 403; a missing or wrong key: 401)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.models import MonitorResponse, RunAlerts
from tests.api.conftest import ADDED_ROW, WATCH, start_server

#: The key the second server is started with (through the variable it names).
KEY = "s3cret-test-key-16"
KEY_ENV = "SG_TEST_API_KEY"


@pytest.fixture(scope="module")
def keyed(served_store: Path) -> Iterator[httpx.Client]:
    """A second server over the same store, started with `--api-key-env`."""
    for url in start_server(served_store, "--api-key-env", KEY_ENV, **{KEY_ENV: KEY}):
        with httpx.Client(base_url=url, timeout=60) as http:
            yield http


def test_portfolios_are_listed(client: httpx.Client) -> None:
    response = client.get("/portfolios")
    assert response.status_code == 200, response.text
    (watch,) = [p for p in response.json() if p["name"] == WATCH]
    assert watch["rows"] == 3 and watch["runs"] >= 1 and watch["last_run"] >= 1


def test_alerts_of_the_last_run(client: httpx.Client) -> None:
    response = client.get(f"/portfolios/{WATCH}/alerts")
    assert response.status_code == 200, response.text
    RunAlerts.model_validate(response.json())
    assert response.json()["portfolio"] == WATCH


def test_an_unknown_portfolio_is_404(client: httpx.Client) -> None:
    response = client.get("/portfolios/NO-SUCH/alerts")
    assert response.status_code == 404
    assert "no portfolio 'NO-SUCH'" in response.json()["detail"]


def test_without_a_key_configured_writes_are_refused(client: httpx.Client) -> None:
    for headers in ({}, {"Authorization": f"Bearer {KEY}"}):
        response = client.post(f"/portfolios/{WATCH}/monitor", headers=headers)
        assert response.status_code == 403, response.text
        assert "started without an API key" in response.json()["detail"]


def test_a_missing_or_wrong_key_is_401(keyed: httpx.Client) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {KEY}"},
                    {"Authorization": f"Bearer {KEY}x"}):
        response = keyed.post(f"/portfolios/{WATCH}/monitor", headers=headers)
        assert response.status_code == 401, (headers, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
        assert KEY not in response.text


def test_monitoring_with_the_key(keyed: httpx.Client) -> None:
    """The row added after the first screen hits ANGARA: a new-hit alert, recorded as a run
    whose alerts the GET answers, by default and by run id."""
    auth = {"Authorization": f"Bearer {KEY}"}
    missing = keyed.post("/portfolios/NO-SUCH/monitor", headers=auth)
    assert missing.status_code == 404, missing.text
    response = keyed.post(f"/portfolios/{WATCH}/monitor", headers=auth)
    assert response.status_code == 200, response.text
    run = response.json()
    MonitorResponse.model_validate(run)
    assert run["rows"] == 3 and run["rows_changed"] == 1
    new = [a for a in run["alerts"] if a["row_id"] == ADDED_ROW["id"] and a["kind"] == "new hit"]
    assert any(a["entity_id"] == "vessel:IMO9179842" for a in new), run["alerts"]
    for query in ({}, {"run": run["run_id"]}):
        alerts = keyed.get(f"/portfolios/{WATCH}/alerts", params=query).json()
        assert alerts["run_id"] == run["run_id"] and alerts["kind"] == "monitor"
        assert alerts["alerts"] == run["alerts"]
        assert alerts["list_versions"] == run["list_versions"]
    assert keyed.get(f"/portfolios/{WATCH}/alerts", params={"run": 10**9}).status_code == 404
