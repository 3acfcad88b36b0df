"""The ASGI application: one screening index and one store opened at start-up, and the
endpoints over them. `create_app(db)` makes it for a store file; `app_from_env()` is the factory
`sanctions-graph serve` hands uvicorn (each worker process makes its own from
`SANCTIONS_GRAPH_DB`).

Screening is CPU work on an index in memory: each endpoint runs on the event loop itself, one
request at a time per worker process (a thread pool would only add switching under the GIL, and
a matcher holds per-batch state), and more cores are used by more workers (`--workers`).

A server follows the store: about once a second (`RELOAD_SECONDS`) each worker reads the
store's generation and the fingerprint of its current loads (a few indexed rows) and, when they
moved (a `load`, `resolve` or `judge` committed), gets the fresh index in a thread beside the
event loop (`ensure_index`: the file the command saved, else patched or built here) with its
default matcher made, then swaps it in on the event loop in one step, dropping the matchers
and entities kept for the old one. Until then requests are answered from the old index, never
from one half made; `/readyz` says which generation is served.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hmac
import logging
import os
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Final

import orjson
from fastapi import Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from api.ftm import (
    QUERY_SCHEMATA,
    BadQuery,
    echoed,
    example_queries,
    grouped_values,
    merged,
    scored_entity,
)
from api.limits import MAX_BODY_BYTES, MAX_LIMIT, MAX_NAMES, MAX_QUERIES, BodyLimit
from api.models import (
    EntityDetail,
    EntityMatchQuery,
    EntityMatchResponse,
    ErrorResponse,
    MonitorResponse,
    PortfolioSummary,
    ReadyResponse,
    RunAlerts,
    SearchResponse,
    StatusResponse,
)
from api.server import API_KEY_ENV
from graph.errors import NotFoundError, QueryError, StoreError
from graph.store import Store
from graph.versions import seen
from queries.monitor import monitor_portfolio, run_alerts
from queries.owner import vessel_answer
from queries.paths import store_index
from queries.portfolio import portfolios, require_portfolio
from queries.screen import GC_THRESHOLD, Match, Result, make_settings
from queries.screen import Query as ScreenQuery
from queries.screening.algorithms import ALGORITHMS
from queries.screening.defaults import (
    DEFAULT_ALGORITHM,
    DEFAULT_LIMIT,
    MATCH_THRESHOLD,
    REVIEW_THRESHOLD,
)
from queries.screening.index import ScreenIndex, ensure_index, store_stamp
from queries.screening.matcher import Matcher, Settings

LOG: Final = logging.getLogger(__name__)


def algorithm_for(requested: str) -> str:
    """The screening algorithm a request's `algorithm` names (`screen --algorithms`: sg-screen,
    name-based); yente's other names (best, logic-v1, logic-v2, regression-v1...) get the
    default, so an existing yente client works unchanged (`matcher` in the answer says which
    algorithm was asked for and which scored)."""
    return requested if requested in ALGORITHMS else DEFAULT_ALGORITHM
#: The dataset that is every loaded list (yente's name for its whole collection).
DEFAULT_DATASET: Final = "default"
#: Lowest score `/search` shows: a name search lists near names too, not only screening hits.
SEARCH_FLOOR: Final = 0.5
#: Matchers kept for settings other than the default (thresholds, limit, dataset): each takes
#: some time to make, and clients use a few combinations.
MATCHERS_KEPT: Final = 16
#: Most queries screened in one batch: what `queries.screen` sends a worker at once.
BATCH_QUERIES: Final = 400
#: Entities kept as answered (properties, referents), so a result repeated costs no query.
ENTITIES_KEPT: Final = 20_000
#: Seconds between two looks at the store's generation (for a fresher index).
RELOAD_SECONDS: Final = 1.0
#: yente match parameters that filter results in ways not offered here: refused (400) when
#: given, so a client never takes unfiltered results for filtered ones.
UNSUPPORTED_PARAMS: Final = ("exclude_schema", "exclude_dataset", "topics", "changed_since",
                             "exclude_entity_ids")
#: Error answers every endpoint can give, for the OpenAPI document.
ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    400: {"model": ErrorResponse, "description": "Malformed request"},
    404: {"model": ErrorResponse, "description": "No such dataset or entity"},
    413: {"model": ErrorResponse, "description": f"Body over {MAX_BODY_BYTES:,} bytes"},
    422: {"model": ErrorResponse, "description": "A value of the wrong type or range"},
}
#: Error answers of an endpoint that writes, for the OpenAPI document.
WRITE_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    **ERRORS,
    401: {"model": ErrorResponse, "description": "No API key given, or a wrong one"},
    403: {"model": ErrorResponse, "description": "The server was started without an API key: "
                                                 "it refuses every write"},
    503: {"model": ErrorResponse, "description": "The store cannot be written now (read-only, "
                                                 "or another writer held it too long)"},
}
#: The write endpoints' security scheme: `Authorization: Bearer <key>`.
BEARER: Final = HTTPBearer(auto_error=False, scheme_name="apiKey",
                           description="The key `serve --api-key-env NAME` read from the "
                                       "environment variable NAME; needed by every endpoint "
                                       "that writes.")


# Parameters of the search endpoints (module level: the endpoints' annotations are strings
# that FastAPI resolves in this module's namespace).
Q = Annotated[str, Query(min_length=1, max_length=500, description="A name")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Schema = Annotated[str | None, Query(description="Only entities of this schema")]
Portfolio = Annotated[str, PathParam(description="The portfolio's name")]


def _monitor(db: Path, name: str) -> dict[str, Any]:
    """One monitoring pass over its own connection (it runs in a thread beside the event
    loop): `monitor_portfolio` records the run in one write transaction (BEGIN IMMEDIATE; a
    write of another worker process waits for it)."""
    with Store(db, create=False) as store:
        return monitor_portfolio(store, name, workers=1).to_dict()


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY), status_code=status,
                    media_type="application/json")


class Batcher:
    """Screens the queries of requests that arrive together as one batch.

    A request's queries wait for the end of the event loop's current turn, when every request
    read in that turn has added its own; each group of one settings is then screened with one
    `Matcher.screen_many` call, whose blocking is one matrix product for the whole batch, and
    each request gets its own results back. A batch screens several times faster per query
    than queries one at a time, and a query's answer does not depend on the others in its
    batch (`queries.screen` holds to that)."""

    def __init__(self, matcher: Callable[[Settings], Matcher]) -> None:
        self._matcher = matcher
        self._pending: dict[Settings, list[tuple[list[ScreenQuery], asyncio.Future[Any]]]] = {}
        self._scheduled = False

    def screen(self, settings: Settings,
               queries: list[ScreenQuery]) -> asyncio.Future[list[Result]]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Result]] = loop.create_future()
        self._pending.setdefault(settings, []).append((queries, future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return future

    def _flush(self) -> None:
        self._scheduled = False
        pending, self._pending = self._pending, {}
        for settings, waiting in pending.items():
            while waiting:
                batch: list[tuple[list[ScreenQuery], asyncio.Future[Any]]] = []
                size = 0
                while waiting and (not batch or size + len(waiting[0][0]) <= BATCH_QUERIES):
                    batch.append(waiting.pop(0))
                    size += len(batch[-1][0])
                self._screen(settings, batch)

    def _screen(self, settings: Settings,
                batch: list[tuple[list[ScreenQuery], asyncio.Future[Any]]]) -> None:
        queries = [q for mine, _ in batch for q in mine]
        try:
            results = self._matcher(settings).screen_many(queries)
        except Exception as exc:  # every request of the batch fails with it, none hangs
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        start = 0
        for mine, future in batch:
            if not future.done():  # a request whose client went away is cancelled
                future.set_result(results[start:start + len(mine)])
            start += len(mine)


def _fresh_index(db: Path) -> tuple[ScreenIndex, Matcher]:
    """The store's index as it is now, and its default matcher made ready, over a connection
    of their own (this runs in a thread beside the event loop). The ownership chains' index
    is brought up to date too, so the first `/entities` after a load does not build it."""
    with Store(db, create=False) as store:
        index, _ = ensure_index(store)
        matcher = Matcher(index, make_settings(index))
        matcher.prepare()
        store_index(store)
    return index, matcher


class Service:
    """What the endpoints read: the store, its screening index, matchers by settings, and the
    entities answered so far. `refresh` swaps in a fresher index when the store moved."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.store = Store(db, create=False)
        self._entities: dict[str, dict[str, Any]] = {}
        self._matchers: OrderedDict[Settings, Matcher] = OrderedDict()
        self._install(*_fresh_index(db))
        self.batcher = Batcher(self.matcher)
        self._looked_at = time.monotonic()
        self._refreshing = False

    def _install(self, index: ScreenIndex, matcher: Matcher) -> None:
        """Serve `index` from now on (one step on the event loop: a request sees the old
        index or the new one, never a mix), with its default matcher; matchers and entities
        kept for the one before are dropped."""
        self.index = index
        self.datasets: tuple[str, ...] = tuple(index.sources)
        self.default_settings = matcher.settings
        self._matchers = OrderedDict({matcher.settings: matcher})
        self._entities = {}

    def stale(self) -> bool:
        """Whether the store moved on from the served index (a few indexed rows read)."""
        return store_stamp(self.store) != (self.index.generation, self.index.fingerprint)

    async def refresh(self) -> bool:
        """Swap in the store's current index if the served one is stale; the index is got in
        a thread, so requests go on being answered from the old one meanwhile. Returns
        whether it swapped. One refresh at a time."""
        if self._refreshing:
            return False
        self._refreshing = True
        try:
            if not self.stale():
                return False
            index, matcher = await asyncio.to_thread(_fresh_index, self.db)
            if (index.generation, index.fingerprint) == (self.index.generation,
                                                          self.index.fingerprint):
                return False
            self._install(index, matcher)
            # As at start-up: what lives on (the index) is left out of the collector's passes.
            gc.freeze()
            LOG.info("screening index of generation %d now served (%d entities)",
                        index.generation, len(index.entity_ids))
            return True
        finally:
            self._looked_at = time.monotonic()
            self._refreshing = False

    async def follow(self) -> None:
        """Refresh about every `RELOAD_SECONDS` for as long as the server runs; a failed
        refresh (the store busy, a file unreadable) is logged and tried again later, the
        served index kept."""
        while True:
            await asyncio.sleep(max(0.0, self._looked_at + RELOAD_SECONDS - time.monotonic()))
            try:
                await self.refresh()
            except Exception:
                LOG.exception("could not refresh the screening index; the served one is kept")
                self._looked_at = time.monotonic()

    def close(self) -> None:
        self.store.close()

    def sources(self, dataset: str, include: Sequence[str] = ()) -> list[str] | None:
        """The lists a dataset path (and yente's `include_dataset`) screens against."""
        if dataset != DEFAULT_DATASET and dataset not in self.datasets:
            raise NotFoundError(f"no dataset {dataset!r}; one of {DEFAULT_DATASET}, "
                                f"{', '.join(self.datasets)}")
        chosen = list(self.datasets) if dataset == DEFAULT_DATASET else [dataset]
        if include:
            unknown = sorted(set(include) - set(self.datasets))
            if unknown:
                raise QueryError(f"include_dataset: unknown dataset(s) {', '.join(unknown)}")
            chosen = [s for s in chosen if s in include]
            if not chosen:
                raise QueryError(f"include_dataset: none of {', '.join(include)} is in "
                                 f"{dataset!r}")
        return None if dataset == DEFAULT_DATASET and not include else chosen

    def matcher(self, settings: Settings) -> Matcher:
        found = self._matchers.get(settings)
        if found is None:
            found = self._matchers[settings] = Matcher(self.index, settings)
            if len(self._matchers) > MATCHERS_KEPT:
                self._matchers.popitem(last=False)
        else:
            self._matchers.move_to_end(settings)
        return found

    def entity(self, found: Match) -> dict[str, Any]:
        """A matched node as yente's entity: from the store, else (a node the store no longer
        holds) from what the index knew."""
        held = self._entities.get(found.entity_id)
        if held is not None:
            return held
        # A node gone from the store since the index was made (a load the index has not
        # caught up with yet): its list versions are not read, so its dates stay unknown.
        held = self.entity_fields(found.entity_id) or {
            "id": found.entity_id, "caption": found.caption, "schema": found.schema,
            "properties": {"name": [found.caption]}, "datasets": list(found.sources),
            "referents": [], "target": bool(found.programs), "first_seen": None,
            "last_seen": None, "last_change": None}
        if len(self._entities) >= ENTITIES_KEPT:
            self._entities.clear()
        self._entities[found.entity_id] = held
        return held

    def entity_fields(self, entity_id: str) -> dict[str, Any] | None:
        node = self.store.node(entity_id)
        if node is None:
            return None
        facts = self.store.facts(entity_id)
        return {
            "id": node.id, "caption": node.caption, "schema": node.schema,
            "properties": grouped_values((f.prop, f.value) for f in facts),
            "datasets": list(dict.fromkeys(f.provenance.source for f in facts)),
            "referents": list(node.members), "target": bool(self.store.listings(entity_id)),
            **asdict(seen(self.store, entity_id)),
        }


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _validation_detail(exc: RequestValidationError) -> tuple[int, str]:
    """A validation failure as a status and one line: malformed JSON is 400, a value of the
    wrong type or range 422."""
    errors = exc.errors()
    for error in errors:
        if error.get("type") == "json_invalid":
            where = error.get("loc", ("body", ""))[-1]
            reason = error.get("ctx", {}).get("error") or error.get("msg")
            return 400, f"malformed JSON at position {where}: {reason}"
    parts = []
    for error in errors[:5]:
        loc = ".".join(str(p) for p in error.get("loc", ()))
        parts.append(f"{loc}: {error.get('msg')}")
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return 422, "; ".join(parts) + more


def create_app(db: Path, api_key: str | None = None) -> FastAPI:
    """The application over the store at `db` (opened, with its screening index, at start-up).
    Endpoints that write need `api_key` as `Authorization: Bearer <key>`; without one
    configured they refuse every request (403)."""
    key = api_key.encode() if api_key else None

    def writer(credentials: Annotated[HTTPAuthorizationCredentials | None,
                                      Depends(BEARER)]) -> None:
        """Lets a write through only with the configured key (compared in constant time)."""
        if key is None:
            raise HTTPException(403, "this server was started without an API key "
                                     "(`serve --api-key-env NAME`), so it refuses every write")
        given = credentials.credentials.encode() if credentials is not None else b""
        if not given or not hmac.compare_digest(given, key):
            raise HTTPException(401, "a write needs the server's API key as "
                                     "`Authorization: Bearer <key>`"
                                     + (": this one is wrong" if given else ""),
                                headers={"WWW-Authenticate": "Bearer"})

    monitoring = asyncio.Lock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = Service(db)
        app.state.service = service
        # As `queries.screen` does while screening: what is alive now (the index, the
        # matcher) is left out of the collector's passes, and the youngest generation is
        # collected less often; screening makes many short-lived objects and no cycles.
        gc.collect()
        gc.freeze()
        thresholds = gc.get_threshold()
        gc.set_threshold(GC_THRESHOLD, *thresholds[1:])
        following = asyncio.create_task(service.follow())
        try:
            yield
        finally:
            following.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await following
            gc.set_threshold(*thresholds)
            gc.unfreeze()
            service.close()

    app = FastAPI(
        title="sanctions-graph",
        summary="Screen names against sanctions lists and shipping registries; yente's "
                "matching API.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return Response(orjson.dumps({"detail": str(exc.detail)}), status_code=exc.status_code,
                        media_type="application/json", headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        status, detail = _validation_detail(exc)
        return _json({"detail": detail}, status)

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception) -> Response:
        return _json({"detail": f"internal error ({type(exc).__name__})"}, 500)

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> Response:
        return _json({"detail": str(exc)}, 404)

    @app.exception_handler(QueryError)
    async def bad_query(request: Request, exc: QueryError) -> Response:
        return _json({"detail": str(exc)}, 400)

    @app.exception_handler(BadQuery)
    async def bad_example(request: Request, exc: BadQuery) -> Response:
        return _json({"detail": str(exc)}, 400)

    @app.post("/match/{dataset}", response_model=EntityMatchResponse, responses=ERRORS,
              tags=["Matching"], summary="Query by example matcher (yente's API)")
    async def match(
        request: Request,
        body: EntityMatchQuery,
        dataset: Annotated[str, PathParam(description="`default` (every list) or one list's "
                                                      "source name")],
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        threshold: Annotated[float | None, Query(
            ge=0, le=1, description=f"Score from which a result is a match "
                                    f"(default {MATCH_THRESHOLD})")] = None,
        cutoff: Annotated[float | None, Query(
            ge=0, le=1, description=f"Lowest score returned at all (default "
                                    f"{REVIEW_THRESHOLD}, at most the threshold)")] = None,
        algorithm: Annotated[str, Query(
            description=f"One of {', '.join(ALGORITHMS)}; any other name (yente's `best`, "
                        f"`logic-v2`...) is scored by {DEFAULT_ALGORITHM}")
        ] = "best",
        include_dataset: Annotated[list[str] | None, Query(
            description="Only results from these lists")] = None,
    ) -> Response:
        """Match entities given as FollowTheMoney examples (`schema`, `properties`: `name`,
        `alias`, `birthDate`, `buildDate`, `country`, `nationality`, `flag`, `imoNumber`,
        `mmsi`, `registrationNumber`, `taxNumber`, `innCode`, `ogrnCode`, `idNumber`,
        `passportNumber`...). Each answer has yente's fields and `decision` (match, review,
        clear) with each result's `explanation`."""
        given = [p for p in UNSUPPORTED_PARAMS if p in request.query_params]
        if given:
            raise QueryError(f"not supported here: {', '.join(given)}")
        if body.weights or body.config:
            raise QueryError(f"{algorithm_for(algorithm)} takes no weights or config")
        if len(body.queries) > MAX_QUERIES:
            raise QueryError(f"too many queries in one request: {len(body.queries)} "
                             f"(limit: {MAX_QUERIES})")
        service = _service(request)
        match_at = MATCH_THRESHOLD if threshold is None else threshold
        review_at = min(REVIEW_THRESHOLD if cutoff is None else cutoff, match_at)
        used = algorithm_for(algorithm)
        settings = make_settings(service.index, threshold=match_at, review_threshold=review_at,
                                 limit=limit, sources=service.sources(dataset,
                                                                      include_dataset or ()),
                                 algorithm=used)
        queries: list[ScreenQuery] = []
        spans: list[tuple[str, int, int]] = []
        for key, example in body.queries.items():
            mine = example_queries(key, example.schema_, example.properties, len(queries) + 1)
            if len(mine) > MAX_NAMES:
                raise QueryError(f"query {key!r}: {len(mine)} names (limit: {MAX_NAMES})")
            spans.append((key, len(queries), len(queries) + len(mine)))
            queries.extend(mine)
        results = await service.batcher.screen(settings, queries)
        responses: dict[str, Any] = {}
        for key, start, end in spans:
            example = body.queries[key]
            decision, found, error, warnings = merged(results[start:end], limit)
            responses[key] = {
                "status": 200,
                "results": [scored_entity(m, service.entity(m), decision=decision,
                                          threshold=match_at) for m in found],
                "total": {"value": len(found), "relation": "eq"},
                "query": echoed(example.schema_, example.properties, example.id),
                "decision": decision, "error": error, "warnings": warnings,
            }
        return _json({"responses": responses, "limit": limit,
                      "matcher": {"name": used, "requested": algorithm,
                                  "threshold": match_at, "cutoff": review_at}})

    async def _search(request: Request, dataset: str, q: str, limit: int,
                      schema: str | None) -> Response:
        service = _service(request)
        if schema is not None and schema not in QUERY_SCHEMATA:
            raise QueryError(f"schema {schema!r} cannot be searched; one of "
                             f"{', '.join(QUERY_SCHEMATA)}")
        settings = make_settings(service.index, threshold=MATCH_THRESHOLD,
                                 review_threshold=SEARCH_FLOOR, limit=limit,
                                 sources=service.sources(dataset),
                                 schema=None if schema in (None, "Thing") else schema)
        (query,) = example_queries("q", schema or "Thing", {"name": q}, 1)
        if query.error:
            raise QueryError(f"q: cannot be searched: {query.error}")
        (result,) = await service.batcher.screen(settings, [query])
        results = [{**service.entity(m), "score": m.score} for m in result.matches]
        return _json({"limit": limit, "offset": 0,
                      "total": {"value": len(results), "relation": "eq"},
                      "results": results, "facets": {}})

    search_doc = ("Entities whose names are near `q` (the screening matcher, from score "
                  f"{SEARCH_FLOOR}), best first.")
    @app.get("/search/{dataset}", response_model=SearchResponse, responses=ERRORS,
             tags=["Matching"], summary="Name search", description=search_doc)
    async def search(request: Request, dataset: str, q: Q, limit: Limit = 10,
                     schema: Schema = None) -> Response:
        return await _search(request, dataset, q, limit, schema)

    @app.get("/search", response_model=SearchResponse, responses=ERRORS, tags=["Matching"],
             summary="Name search in every list", description=search_doc)
    async def search_all(request: Request, q: Q, limit: Limit = 10,
                         schema: Schema = None) -> Response:
        return await _search(request, DEFAULT_DATASET, q, limit, schema)

    @app.get("/entities/{entity_id}", response_model=EntityDetail, responses=ERRORS,
             tags=["Data access"], summary="An entity, its sources and its ownership chain")
    async def entity(request: Request, entity_id: str) -> Response:
        """The entity with every property value and the list version and record stating it,
        its sanctions, and the chain of owners and controllers above it (`queries.owner`).
        A record id merged into an entity (a referent) answers with that entity."""
        service = _service(request)
        store = service.store
        canonical = entity_id if store.node(entity_id) else store.canonical_of(entity_id)
        fields = service.entity_fields(canonical) if canonical else None
        if canonical is None or fields is None:
            raise NotFoundError(f"no entity {entity_id!r}")
        answer = vessel_answer(store, canonical)
        return _json({
            **fields,
            "provenance": [{"prop": f.prop, "value": f.value, **asdict(f.provenance)}
                           for f in store.facts(canonical)],
            "sanctions": [asdict(s) for s in answer.sanctions],
            "ownership": [asdict(p) for p in answer.parties],
            "evidence_ownership": [asdict(p) for p in answer.evidence_parties],
            "evidence": [asdict(c) for c in answer.evidence],
            "to_state": [p.to_dict() for p in answer.to_state],
            "blocked": asdict(answer.blocked) if answer.blocked else None,
        })

    @app.get("/portfolios", response_model=list[PortfolioSummary], tags=["Monitoring"],
             summary="Every portfolio: rows and runs")
    async def list_portfolios(request: Request) -> Response:
        """The portfolios kept in the store (`portfolio add`), by name, each with its row
        count, its recorded runs and the id of the last."""
        return _json([p.to_dict() for p in portfolios(_service(request).store)])

    @app.get("/portfolios/{name}/alerts", response_model=RunAlerts, responses=ERRORS,
             tags=["Monitoring"], summary="The alerts of a recorded run")
    async def alerts(request: Request, name: Portfolio, run: Annotated[int | None, Query(
            ge=1, le=2**62, description="The run (`audit runs`); default the portfolio's "
                                        "last")] = None) -> Response:
        """The alerts a recorded run of the portfolio raised (new hits, hits whose listing
        changed, hits gone), each with the records of the lists' diff behind it, and the list
        versions before and after. A run of every row (`portfolio screen`) raises none."""
        return _json(run_alerts(_service(request).store, name, run))

    @app.post("/portfolios/{name}/monitor", response_model=MonitorResponse,
              responses=WRITE_ERRORS, tags=["Monitoring"], dependencies=[Depends(writer)],
              summary="Monitor a portfolio now (writes: needs the API key)")
    async def monitor(request: Request, name: Portfolio) -> Response:
        """Screen again what the list updates and the portfolio's changes since its last run
        can have changed (`portfolio monitor`), against the lists in force now (not the
        server's index), record the pass as a run and answer its alerts. Runs one
        at a time per worker process, beside the screening endpoints."""
        service = _service(request)
        require_portfolio(service.store, name)
        async with monitoring:
            try:
                return _json(await asyncio.to_thread(_monitor, service.db, name))
            except StoreError as exc:
                return _json({"detail": str(exc)}, 503)

    @app.get("/healthz", response_model=StatusResponse, tags=["System information"],
             summary="Health check")
    async def healthz() -> Response:
        return _json({"status": "ok"})

    @app.get("/readyz", response_model=ReadyResponse, tags=["System information"],
             summary="Ready: the index is open; the store generation it was made from")
    async def readyz(request: Request) -> Response:
        service = _service(request)
        index = service.index
        return _json({"status": "ok", "entities": len(index.entity_ids),
                      "datasets": list(service.datasets), "generation": index.generation,
                      "worker": os.getpid()})

    return app


def app_from_env() -> FastAPI:
    """The application over the store `SANCTIONS_GRAPH_DB` names (uvicorn's factory), with
    the write key from the variable `SANCTIONS_GRAPH_API_KEY_ENV` names, if it names one."""
    db = os.environ.get("SANCTIONS_GRAPH_DB")
    if not db:
        raise RuntimeError("SANCTIONS_GRAPH_DB is not set: start the API with "
                           "`sanctions-graph serve`")
    key_env = os.environ.get(API_KEY_ENV)
    key = os.environ.get(key_env) if key_env else None
    if key_env and not key:
        raise RuntimeError(f"{key_env} (the API key's variable) is not set or empty")
    return create_app(Path(db), key)


__all__ = ["API_KEY_ENV", "DEFAULT_DATASET", "Service", "algorithm_for", "app_from_env",
           "create_app"]
