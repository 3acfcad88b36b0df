"""The HTTP API as a client sees it: a real server process, a real HTTP client. yente's
request shape in, yente's answer shape out; client mistakes answered with 4xx and a reason."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.limits import MAX_BODY_BYTES, MAX_QUERIES
from api.models import EntityMatchResponse

#: The fields of yente's ScoredEntityResponse (yente/data/common.py) that every result has.
YENTE_RESULT_FIELDS = {"id", "caption", "schema", "properties", "datasets", "referents",
                       "target", "first_seen", "last_seen", "last_change", "score", "match",
                       "explanations"}


def match(client: httpx.Client, queries: dict[str, Any], dataset: str = "default",
          **params: Any) -> httpx.Response:
    return client.post(f"/match/{dataset}", json={"queries": queries}, params=params)


def test_a_listed_vessel_matches_in_yentes_shape(client: httpx.Client) -> None:
    """ANGARA (IMO 9179842, OFAC SDN "Linked To: M LEASING LLC") asked as yente asks."""
    response = match(client, {"ship": {"schema": "Vessel", "properties": {
        "name": ["ANGARA"], "imoNumber": ["9179842"]}}})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    data = response.json()
    EntityMatchResponse.model_validate(data)
    assert set(data) >= {"responses", "limit"} and data["limit"] == 5
    answer = data["responses"]["ship"]
    assert answer["status"] == 200 and answer["decision"] == "match"
    assert answer["query"] == {"id": None, "schema": "Vessel", "properties": {
        "name": ["ANGARA"], "imoNumber": ["9179842"]}}
    top = answer["results"][0]
    assert set(top) >= YENTE_RESULT_FIELDS
    assert top["match"] is True and top["score"] == 1.0 and top["target"] is True
    assert top["caption"] == "ANGARA" and top["schema"] == "Vessel"
    assert "9179842" in top["properties"]["imoNumber"]
    assert "us_ofac_sdn" in top["datasets"]
    assert top["features"]["identifier"] == 1.0
    assert "IMO 9179842" in top["explanation"]
    assert answer["total"] == {"value": len(answer["results"]), "relation": "eq"}


def test_name_only_and_one_list(client: httpx.Client) -> None:
    """A dataset path screens that list only; a query of several names takes each node once
    at its best score; a name of no listed entity is clear, with no result a match."""
    listed = match(client, {"p": {"schema": "Vessel", "properties": {
        "name": ["ANGARA", "SCAN ARCTIC"]}}}, dataset="us_ofac_sdn").json()
    results = listed["responses"]["p"]["results"]
    assert results and all(r["datasets"] == ["us_ofac_sdn"] or "us_ofac_sdn" in r["datasets"]
                           for r in results)
    assert len({r["id"] for r in results}) == len(results)
    assert any(r["caption"] == "ANGARA" for r in results)
    unknown = match(client, {"x": {"schema": "Person", "properties": {
        "name": ["Quentin Zarbelwocky"], "birthDate": ["1971-02-03"]}}}).json()
    assert unknown["responses"]["x"]["decision"] == "clear"
    assert not any(r["match"] for r in unknown["responses"]["x"]["results"])


def test_thresholds_follow_the_request(client: httpx.Client) -> None:
    """yente's `threshold` is the match threshold, `cutoff` the lowest score returned."""
    data = match(client, {"q": {"schema": "Vessel", "properties": {"name": ["ANGARA"]}}},
                 threshold=0.95, cutoff=0.5, limit=3, algorithm="logic-v2").json()
    assert data["matcher"] == {"name": "sg-screen", "requested": "logic-v2",
                               "threshold": 0.95, "cutoff": 0.5}
    assert data["limit"] == 3 and len(data["responses"]["q"]["results"]) <= 3
    assert all(r["score"] >= 0.5 for r in data["responses"]["q"]["results"])


def test_threshold_zero_and_one_are_accepted(client: httpx.Client) -> None:
    """yente takes `threshold` from 0 to 1 inclusive. At 0 every result returned is a match
    (and the cutoff follows it down to 0); at 1 only a perfect score is."""
    example = {"q": {"schema": "Vessel", "properties": {"name": ["ANGARA"]}}}
    response = match(client, example, threshold=0, limit=10)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["matcher"]["threshold"] == 0 and data["matcher"]["cutoff"] == 0
    answer = data["responses"]["q"]
    assert answer["decision"] == "match"
    assert any(r["caption"] == "ANGARA" for r in answer["results"])
    assert answer["results"] and all(r["match"] for r in answer["results"])
    # With the floor at 0, results below the default cutoff are returned too.
    default = match(client, example, limit=10).json()["responses"]["q"]["results"]
    assert len(answer["results"]) >= len(default)
    assert min(r["score"] for r in answer["results"]) <= min(r["score"] for r in default)
    # No result at all is clear, never a match on an empty list.
    for name in ("Quentin Zarbelwocky", "Xqzvv Wpfjk"):
        other = match(client, {"x": {"schema": "Person", "properties": {"name": [name]}}},
                      threshold=0).json()["responses"]["x"]
        assert other["decision"] == ("match" if other["results"] else "clear"), other
    strict = match(client, example, threshold=1).json()
    assert strict["matcher"]["threshold"] == 1
    assert all(r["match"] == (r["score"] == 1.0) for r in strict["responses"]["q"]["results"])


def test_algorithm_names_ours_or_gets_the_default(client: httpx.Client) -> None:
    """`algorithm` selects one of ours by name (`name-based`: a wrong build year lowers
    nothing); yente's names get the default, where the wrong year costs its feature."""
    example = {"q": {"schema": "Vessel", "properties": {"name": ["ANGARA"],
                                                         "buildDate": ["1950"]}}}
    scores = {}
    for requested, used in (("name-based", "name-based"), ("best", "sg-screen")):
        data = match(client, example, algorithm=requested).json()
        assert data["matcher"]["name"] == used
        top = next(r for r in data["responses"]["q"]["results"] if r["caption"] == "ANGARA")
        scores[used] = top["score"]
    assert scores["name-based"] == 1.0 and scores["sg-screen"] < 1.0


def test_an_unreadable_value_is_said_not_guessed(client: httpx.Client) -> None:
    answer = match(client, {"q": {"schema": "Vessel", "properties": {
        "name": ["ANGARA"], "imoNumber": ["9179843"]}}}).json()["responses"]["q"]
    assert answer["decision"] == "review" and "check digit" in answer["error"]


@pytest.mark.parametrize(("request_kwargs", "status", "reason"), [
    ({"content": b'{"queries": {"q": {"schema": "Vessel"', "url": "/match/default"}, 400,
     "malformed JSON"),
    ({"content": b"[1, 2]", "url": "/match/default"}, 422, "body"),
    ({"content": b" " * (MAX_BODY_BYTES + 1), "url": "/match/default"}, 413, "over"),
    ({"json": {"queries": {f"q{i}": {"schema": "Person", "properties": {"name": ["A B"]}}
                           for i in range(MAX_QUERIES + 1)}}, "url": "/match/default"}, 400,
     "too many queries"),
    ({"json": {"queries": {}}, "url": "/match/no_such_list"}, 404, "no dataset"),
    ({"json": {"queries": {"a": {"schema": "Address", "properties": {}}}},
      "url": "/match/default"}, 400, "cannot be screened"),
    ({"json": {"queries": {}}, "url": "/match/default?threshold=2"}, 422, "threshold"),
    ({"json": {"queries": {}}, "url": "/match/default?threshold=-0.01"}, 422,
     "threshold: Input should be greater than or equal to 0"),
    ({"json": {"queries": {}}, "url": "/match/default?threshold=1.01"}, 422,
     "threshold: Input should be less than or equal to 1"),
    ({"json": {"queries": {}}, "url": "/match/default?cutoff=-1"}, 422, "cutoff"),
    ({"json": {"queries": {}}, "url": "/match/default?exclude_schema=Person"}, 400,
     "not supported"),
    ({"json": {"queries": {}, "weights": {"name_literal": 0.8}}, "url": "/match/default"}, 400,
     "weights"),
])
def test_bad_requests_get_4xx_with_a_reason(client: httpx.Client, request_kwargs: Any,
                                             status: int, reason: str) -> None:
    headers = {"content-type": "application/json"}
    response = client.post(headers=headers, **request_kwargs)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and reason in detail


def test_a_chunked_body_over_the_limit_is_refused(client: httpx.Client) -> None:
    """No Content-Length to go by: the bytes are counted as they come."""

    def chunks() -> Any:
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b" " * 65536

    response = client.post("/match/default", content=chunks(),
                           headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_search_by_name(client: httpx.Client) -> None:
    data = client.get("/search", params={"q": "M LEASING", "limit": 5}).json()
    assert data["results"][0]["caption"] in ("M LEASING LLC", "M LEASING")
    assert data["total"]["value"] == len(data["results"]) <= 5
    assert client.get("/search/us_ofac_sdn", params={"q": "!!"}).status_code == 400
    assert client.get("/search", params={"q": ""}).status_code == 422


def test_an_entity_with_its_sources_and_ownership_chain(client: httpx.Client) -> None:
    data = client.get("/entities/vessel:IMO9179842").json()
    assert data["caption"] == "ANGARA" and data["target"] is True
    assert {"source": "us_ofac_sdn", "prop": "imoNumber", "value": "9179842"}.items() <= {
        **next(f for f in data["provenance"] if f["source"] == "us_ofac_sdn"
               and f["prop"] == "imoNumber")}.items()
    linked = {p["caption"]: p for p in data["ownership"]}
    assert "M LEASING LLC" in linked
    assert linked["M LEASING LLC"]["role"] == "linked"
    assert linked["M LEASING LLC"]["sanctions"], "the chain shows each party's sanctions"
    assert any(s["source"]["source"] == "us_ofac_sdn" for s in data["sanctions"])
    # A record merged into the entity answers with the entity.
    referent = data["referents"][0]
    assert client.get(f"/entities/{referent}").json()["id"] == "vessel:IMO9179842"
    missing = client.get("/entities/no-such-entity")
    assert missing.status_code == 404 and "no entity" in missing.json()["detail"]


def test_health_readiness_and_the_openapi_document(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["entities"] > 1000 and "us_ofac_sdn" in ready["datasets"]
    document = client.get("/openapi.json").json()
    assert {"/match/{dataset}", "/search", "/search/{dataset}", "/entities/{entity_id}",
            "/healthz", "/readyz"} <= set(document["paths"])


def test_requests_screened_together_answer_as_alone(api_url: str) -> None:
    """Requests that arrive together are screened as one batch: each answer is the one the
    request gets alone."""
    from concurrent.futures import ThreadPoolExecutor

    names = ["ANGARA", "MARIA", "M LEASING LLC", "SCAN ARCTIC", "Quentin Zarbelwocky",
             "IBEX SHIPPING INC", "CAPTAIN YAKUBOVICH", "MARINE TRANS SHIPPING"] * 2
    bodies = [{"queries": {"q": {"schema": "Thing", "properties": {"name": [name]}}}}
              for name in names]
    with httpx.Client(base_url=api_url, timeout=30) as alone:
        expected = [alone.post("/match/default", json=b).json() for b in bodies]

    def together(body: dict[str, Any]) -> Any:
        with httpx.Client(base_url=api_url, timeout=30) as http:
            return http.post("/match/default", json=body).json()

    with ThreadPoolExecutor(len(bodies)) as pool:
        assert list(pool.map(together, bodies)) == expected
