"""The evidence loader: claims with citations, references resolved against the store inside the
load, and every bad row stopping the load with the row named."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.errors import SourceError
from graph.model import EVIDENCE_PROPERTY
from graph.store import Store
from loaders import detect_loader
from pipeline.ingest import load_file
from queries.state import state_actor
from tests.conftest import DEMO

CITATION = """citation:
  title: A report
  publisher: A think tank
  url: https://example.org/report
  date: 2023-10-16
"""

REGISTRY = """vessel_imo,vessel_name,role,company_name,company_imo,country,from,to,source,record_id
9123453,TWIN,operator,ALPHA SHIPPING LLC,,Russia,,,a registry,r-1
9234563,TWIN,operator,BETA SHIPPING LLC,,Russia,,,a registry,r-2
"""


@pytest.fixture
def base(store: Store, tmp_path: Path) -> Store:
    """The demo registry (ANGARA, MARIA 9198783, MARINE TRANS SHIPPING) and two ships called
    TWIN."""
    load_file(store, DEMO / "registry.csv", source="demo_registry")
    twins = tmp_path / "twins.csv"
    twins.write_text(REGISTRY)
    load_file(store, twins, source="twins")
    return store


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_claims_resolve_by_imo_name_source_id_and_local_id(base: Store,
                                                                  tmp_path: Path) -> None:
    # Shares are stated only between the example parties this file describes: the claim between
    # the real MARINE TRANS SHIPPING LLC and the real MARIA is a link, with no share.
    path = write(tmp_path, "claims.yaml", """# EXAMPLE for tests: made-up entities; no real report.
citation:
  title: EXAMPLE for tests, no real report
  publisher: tests
  url: https://example.org/report
  date: 2023-10-16
entities:
  - {id: state, schema: PublicBody, name: Government of Somewhere, country: ru, topics: [gov]}
  - {id: holder, schema: Company, name: EXAMPLE HOLDER LLC, country: ru}
  - {id: ship, schema: Vessel, name: EXAMPLE SHIP}
claims:
  - {id: c1, subject: "#state", relation: shipment, object: IMO 9179842, role: carried cargo for,
     start: 2023-08, end: 2023-10, confidence: medium}
  - {id: c2, subject: MARINE TRANS SHIPPING LLC, relation: linked to,
     object: "demo_registry:vessel:9198783", confidence: high, description: a link}
  - {id: c3, subject: "#holder", relation: owns, object: "#ship", percentage: 60,
     confidence: high, description: a 60% stake}
""")
    assert detect_loader(path).format == "evidence"
    result = load_file(base, path)
    assert result.info.source == "evidence_claims"
    assert result.info.list_date == "2023-10-16"  # the report's date dates the version
    assert result.info.relations == 3 and not result.info.problems
    angara = base.by_key("imo-ship:9179842")[0]
    up = base.edges(angara, direction="up")
    claim = next(e for e in up if e.provenance.record_id == "c1")
    assert claim.kind == "shipment" and claim.start_date == "2023-08"
    assert claim.properties[EVIDENCE_PROPERTY] == [
        'tests, "EXAMPLE for tests, no real report", 2023-10-16, https://example.org/report']
    assert claim.properties["confidence"] == ["medium"]
    assert state_actor(base, claim.subject) is not None
    # The stub for ANGARA merged into the existing node: no new vessel appeared.
    assert len(base.by_norm_name("angara")) == 1
    # By name (subject) and by source id (object): the claim joins the two registry nodes.
    maria = base.canonical_of("demo_registry:vessel:9198783")
    assert maria is not None
    claimed = [e for e in base.edges(maria, direction="up") if EVIDENCE_PROPERTY in e.properties]
    assert [(e.kind, e.percentage, e.provenance.record_id) for e in claimed] == [
        ("link", None, "c2")]
    assert claimed[0].subject == base.by_key("imo-company:6183435")[0]
    assert claimed[0].properties["description"] == ["a link"]
    # By local id, both ends: the example's share, on the example's ship.
    ship = base.canonical_of("evidence_claims:entity:ship")
    holder = base.canonical_of("evidence_claims:entity:holder")
    assert ship is not None and holder is not None and ship != maria
    owned = [e for e in base.edges(ship, direction="up") if e.kind == "ownership"]
    assert [(e.percentage, e.role, e.subject) for e in owned] == [(60.0, None, holder)]
    assert owned[0].properties["description"] == ["a 60% stake"]


def test_csv_claims_and_new_entities(base: Store, tmp_path: Path) -> None:
    # Every row cites an EXAMPLE; the only share is between the two example entities of row 3.
    cite = "EXAMPLE for tests,tests,https://example.org/r,2023-10-16"
    path = write(tmp_path, "claims.csv", (
        "subject,subject_schema,subject_country,subject_topics,relation,object,object_schema,role,"
        "percentage,start,end,confidence,citation_title,citation_publisher,citation_url,"
        "citation_date\n"
        "Port of Nowhere,Organization,ru,,transport,IMO 9179842,,visited by,,2023-08-15,,low,"
        f"{cite}\n"
        "IMO 6183435,,,,link,9179842,,,,,,high,EXAMPLE for tests,tests,,2023\n"
        f"EXAMPLE HOLDER LLC,Company,ru,,ownership,EXAMPLE SHIP,Vessel,,50,,,high,{cite}\n"
    ))
    assert detect_loader(path).format == "evidence"
    result = load_file(base, path)
    # Port of Nowhere, one stub per reference as written (three of them), the two examples.
    assert result.info.entities == 6 and result.info.relations == 3
    angara = base.by_key("imo-ship:9179842")[0]
    kinds = sorted((e.kind, e.percentage) for e in base.edges(angara, direction="up")
                   if EVIDENCE_PROPERTY in e.properties)
    assert kinds == [("link", None), ("transport", None)]
    assert base.by_norm_name("port of nowhere")
    [ship] = base.by_norm_name("example ship")
    [holder] = base.by_norm_name("example holder llc")
    node = base.node(ship)
    assert node is not None and node.schema == "Vessel"
    assert [(e.kind, e.percentage, e.subject) for e in base.edges(ship, direction="up")] == [
        ("ownership", 50.0, holder)]


@pytest.mark.parametrize(
    ("claim", "where", "message"),
    [
        ("{subject: NO SUCH COMPANY, relation: owns, object: IMO 9179842}", "claims[1]",
         "matches no entity"),
        ("{subject: TWIN, relation: link, object: IMO 9179842}", "claims[1]",
         "ambiguous.*TWIN.*TWIN"),
        ("{subject: IMO 9179842, relation: befriends, object: IMO 9179842}", "claims[1]",
         "unknown relation"),
        ("{subject: IMO 9179842, relation: owns, object: IMO 9179842, percentage: 120}",
         "claims[1]", "between 0 and 100"),
        ("{subject: IMO 9179842, relation: owns, object: IMO 9179842, confidence: sure}",
         "claims[1]", "confidence"),
        ("{subject: IMO 9179842, relation: owns, object: IMO 9179842, start: soon}",
         "claims[1]", "not a date"),
        ("{subject: '#nobody', relation: owns, object: IMO 9179842}", "claims[1]",
         "no entity of this file"),
        ("{subject: IMO 9179842, relation: owns}", "claims[1]", "no object"),
    ],
)
def test_a_bad_claim_stops_the_load_naming_the_row(base: Store, tmp_path: Path, claim: str,
                                                   where: str, message: str) -> None:
    path = write(tmp_path, "bad.yaml", CITATION + f"""claims:
  - {{subject: IMO 9179842, relation: link, object: MARINE TRANS SHIPPING LLC}}
  - {claim}
""")
    before = base.snapshot()
    with pytest.raises(SourceError, match=message) as err:
        load_file(base, path)
    assert err.value.where == where
    assert base.snapshot() == before


def test_a_claim_needs_a_citation(base: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "bare.yaml", "claims:\n  - {subject: ANGARA, relation: link, "
                 "object: MARINE TRANS SHIPPING LLC}\n")
    with pytest.raises(SourceError, match="no citation"):
        load_file(base, path)


def test_broken_yaml_names_the_line(base: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "broken.yaml", CITATION + "claims:\n  - {subject: [unclosed\n")
    with pytest.raises(SourceError, match="not valid YAML") as err:
        load_file(base, path)
    assert err.value.where and err.value.where.startswith("line ")


def test_loading_the_same_file_twice_changes_nothing(base: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "once.yaml", CITATION + """claims:
  - {subject: IMO 9179842, relation: link, object: MARINE TRANS SHIPPING LLC}
""")
    load_file(base, path)
    before = base.snapshot()
    assert load_file(base, path).unchanged
    assert base.snapshot() == before


def test_evidence_can_state_that_an_existing_entity_is_a_state_actor(base: Store,
                                                                      tmp_path: Path) -> None:
    company = base.by_key("imo-company:6183435")[0]
    assert state_actor(base, company) is None
    path = write(tmp_path, "soe.yaml", CITATION + """entities:
  - {id: mts, same_as: IMO 6183435, topics: [gov.soe]}
claims:
  - {subject: "#mts", relation: operation, object: IMO 9179842}
""")
    load_file(base, path)
    # The evidence record joins the company's node (whose id now names its IMO number).
    merged = base.by_key("imo-company:6183435")
    assert len(merged) == 1
    actor = state_actor(base, merged[0])
    assert actor is not None and actor.kind == "state-owned enterprise"
    assert actor.stated_by[0].source == "evidence_soe"


def test_the_rusi_example_file_loads_against_the_demo_lists(tmp_path: Path) -> None:
    with Store(tmp_path / "demo.db") as store:
        load_file(store, DEMO / "sdn.csv", format="ofac_csv", list_date="2024-05-03")
        result = load_file(store, DEMO / "rusi_orient_express.yaml")
        assert result.info.relations == 10 and not result.info.problems
        maria = store.by_key("imo-ship:8517839")[0]
        up = store.edges(maria, direction="up")
        owners = {store.node(e.subject).caption for e in up  # type: ignore[union-attr]
                  if e.kind == "ownership" and EVIDENCE_PROPERTY in e.properties}
        assert owners == {"MARINE TRANS SHIPPING LLC"}


def test_a_claimed_share_may_be_a_band(store: Store, tmp_path: Path) -> None:
    # An example file: both parties are described here and named EXAMPLE; no real party.
    path = write(tmp_path, "bands.yaml", CITATION + """
entities:
  - {id: holder, schema: Company, name: EXAMPLE HOLDER}
  - {id: firm, schema: Company, name: EXAMPLE FIRM}
claims:
  - {id: c1, subject: "#holder", relation: owns, object: "#firm", percentage: ">25,<=50"}
""")
    load_file(store, path)
    edges = [e for e in store.iter_edges() if e.kind == "ownership"]
    assert [(e.percentage, e.properties.get("share")) for e in edges] == [(None, [">25,<=50"])]
