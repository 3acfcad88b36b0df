"""The API's request and answer models: yente's shapes (`EntityMatchQuery`, `EntityMatches`,
`ScoredEntityResponse`...), field for field, plus the fields of ours a sanctions user needs
beside them (the decision, the explanation, the programmes). They validate requests and write
the OpenAPI document; answers are built as plain data and written with orjson, so these
models cost nothing per answer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

#: A property value as yente accepts it: a string or a list (numbers are read as text).
PropertyValue = str | int | float | list[str | int | float | None]


class ErrorResponse(BaseModel):
    """Every error answer: what was wrong, in one line."""

    detail: str = Field(..., examples=["Too many queries in one request (limit: 100)"])


class EntityExample(BaseModel):
    """One entity to match, FollowTheMoney-shaped: a schema and its properties."""

    model_config = ConfigDict(populate_by_name=True)

    id: str | None = Field(None, examples=["my-entity-id"])
    schema_: str = Field(..., alias="schema", examples=["Vessel"])
    properties: dict[str, PropertyValue] = Field(
        ..., examples=[{"name": ["ANGARA"], "imoNumber": ["9179842"]}])


class EntityMatchQuery(BaseModel):
    """yente's match request body. `weights` and `config` tune nomenklatura's algorithms; the
    one algorithm here has neither, so a request that sets any is refused (400) rather than
    answered as if they had been applied."""

    weights: dict[str, float] = Field(default_factory=dict)
    config: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    queries: dict[str, EntityExample]


class FeatureResult(BaseModel):
    score: float
    explanation: str


class TotalSpec(BaseModel):
    value: int
    relation: str = "eq"


class EntityResponse(BaseModel):
    """A node of the graph as yente shows an entity: its properties (every value any current
    list states), the lists stating it (`datasets`), the records merged into it (`referents`),
    and `target`: listed under a sanctions programme."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    caption: str
    schema_: str = Field(..., alias="schema")
    properties: dict[str, list[str]]
    datasets: list[str]
    referents: list[str]
    target: bool
    first_seen: str | None = Field(None, description="List date (YYYY-MM-DD) of the oldest "
                                   "loaded version of a list holding one of its records")
    last_seen: str | None = Field(None, description="List date of the newest version in force "
                                  "holding one of its records")
    last_change: str | None = Field(None, description="List date of the newest version in "
                                    "force in which one of its records appeared or changed")


class ScoredEntityResponse(EntityResponse):
    score: float
    match: bool = Field(description="True when this answer's decision for the query is "
                                    "`match` and this result scored at or above the threshold.")
    features: dict[str, float] = Field(description="The score's named features.")
    explanations: dict[str, FeatureResult] = Field(
        description="Each feature with its score and the reasons for the whole score.")
    explanation: str = Field(description="Why it scored so: names, identifiers, dates.")
    matched_name: str
    programs: list[str]


class EntityMatches(BaseModel):
    status: int = 200
    results: list[ScoredEntityResponse]
    total: TotalSpec
    query: EntityExample
    decision: str = Field(description="match, review or clear, as `screen` decides a row")
    error: str | None = Field(None, description="Why the query could be read only in part")
    warnings: list[str] = Field(default_factory=list)


class MatcherInfo(BaseModel):
    name: str
    requested: str = Field(description="The algorithm the request named")
    threshold: float
    cutoff: float


class EntityMatchResponse(BaseModel):
    responses: dict[str, EntityMatches]
    limit: int
    matcher: MatcherInfo


class SearchResult(EntityResponse):
    score: float


class SearchResponse(BaseModel):
    limit: int
    offset: int = 0
    total: TotalSpec
    results: list[SearchResult]
    facets: dict[str, Any] = Field(default_factory=dict)


class FactOut(BaseModel):
    prop: str
    value: str
    source: str
    list_date: str | None
    record_id: str


class EntityDetail(EntityResponse):
    """An entity with every value's provenance, its sanctions, and the chain above it
    (`queries.owner`: each party with its role, dates, sources, sanctions and the parties
    above it in turn; paths to the nearest state actors; blocked by the 50 % rule)."""

    provenance: list[FactOut]
    sanctions: list[dict[str, Any]]
    ownership: list[dict[str, Any]]
    evidence_ownership: list[dict[str, Any]] = Field(
        description="Parties only analysts' claims (evidence files) put above the entity")
    evidence: list[dict[str, Any]]
    to_state: list[dict[str, Any]]
    blocked: dict[str, Any] | None


class StatusResponse(BaseModel):
    status: str = "ok"


class ReadyResponse(StatusResponse):
    entities: int
    datasets: list[str]
    generation: int = Field(description="The store generation of the screening index served "
                                        "(it follows the store within about a second)")
    worker: int = Field(description="The process id of the worker that answered (each "
                                    "worker follows the store for itself)")


class PortfolioSummary(BaseModel):
    """A portfolio kept in the store (`portfolio list`)."""

    name: str
    rows: int
    created_at: str
    updated_at: str
    file_checksum: str
    runs: int
    last_run: int | None


class Alert(BaseModel):
    """A change in what a row hits (`queries.monitor.Alert`): a new hit, a hit whose listed
    entity changed, a hit gone; `diff` holds the records of the lists' diff behind it."""

    row_id: str
    kind: str = Field(..., examples=["new hit"])
    entity_id: str
    caption: str
    score_before: float | None
    score_now: float | None
    changed: list[str]
    delisted: bool
    diff: list[dict[str, Any]]
    #: For a hit gone: the node the entity's record is now part of, when listed still.
    merged_into: str | None = None


class RunAlerts(BaseModel):
    """The alerts of one recorded run, with the list versions before and after."""

    run_id: int
    portfolio: str
    kind: str = Field(..., examples=["monitor"])
    base_run: int | None
    started_at: str
    finished_at: str
    list_versions_before: list[dict[str, Any]] | None
    list_versions: list[dict[str, Any]]
    rows_screened: int
    alerts: list[Alert]


class MonitorResponse(BaseModel):
    """A monitoring pass just run and recorded (`portfolio monitor --json`)."""

    run_id: int
    base_run: int
    portfolio: str
    list_versions_before: list[dict[str, Any]]
    list_versions: list[dict[str, Any]]
    changed_entities: int | None
    rows: int
    rows_screened: int
    rows_changed: int
    rows_removed: int
    alerts: list[Alert]
    counts: dict[str, int]
    attention: list[dict[str, Any]]
    seconds: dict[str, float]
    #: Why every row was screened again, when it was.
    whole: str | None = None


__all__ = ["Alert", "EntityDetail", "EntityExample", "EntityMatchQuery", "EntityMatchResponse",
           "EntityMatches", "ErrorResponse", "MonitorResponse", "PortfolioSummary", "ReadyResponse",
           "RunAlerts", "ScoredEntityResponse",
           "SearchResponse", "StatusResponse"]
