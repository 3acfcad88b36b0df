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

# Hand-made fixtures (edge cases of the evidence loader): every claim below is about made-up
# entities named EXAMPLE (or NO SUCH COMPANY), cites no real report, and uses IMO numbers that
# are valid (ship check digit 9990002, 9990014, 9990026; IMO company number 9990003) but were
# checked to occur in no file of ../shared/data/raw nor of graph/demo. Real ships and firms
# appear only through the demo files (graph/demo), with the facts those files state and cite.
SHIP_ONE = "9990002"  # EXAMPLE SHIP ONE
TWIN_A = "9990014"  # the first EXAMPLE TWIN
TWIN_B = "9990026"  # the second EXAMPLE TWIN
OPERATOR = "9990003"  # EXAMPLE OPERATOR LLC (an IMO company number)

CITATION = """citation:
  title: EXAMPLE for tests, no real report
  publisher: tests
  url: https://example.org/report
  date: 2023-10-16
"""

REGISTRY = f"""vessel_imo,vessel_name,role,company_name,company_imo,country,from,to,source,record_id
{SHIP_ONE},EXAMPLE SHIP ONE,operator,EXAMPLE OPERATOR LLC,{OPERATOR},,,,EXAMPLE for tests,x-1
{TWIN_A},EXAMPLE TWIN,operator,EXAMPLE ALPHA SHIPPING LLC,,,,,EXAMPLE for tests,x-2
{TWIN_B},EXAMPLE TWIN,operator,EXAMPLE BETA SHIPPING LLC,,,,,EXAMPLE for tests,x-3
"""


@pytest.fixture
def base(store: Store, tmp_path: Path) -> Store:
    """The demo registry (real: ANGARA, MARIA 9198783, MARINE TRANS SHIPPING, as its rows cite)
    and the hand-made example registry above: EXAMPLE SHIP ONE run by EXAMPLE OPERATOR LLC, and
    two ships called EXAMPLE TWIN."""
    load_file(store, DEMO / "registry.csv", source="demo_registry")
    examples = tmp_path / "examples.csv"
    examples.write_text(REGISTRY)
    load_file(store, examples, source="examples")
    return store


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_claims_resolve_by_imo_name_source_id_and_local_id(base: Store,
                                                                  tmp_path: Path) -> None:
    # Every party is a made-up EXAMPLE: the registry's (by IMO, by name, by source id) and the
    # file's own (by local id).
    path = write(tmp_path, "claims.yaml", f"""# EXAMPLE for tests: made-up entities; no real report.
{CITATION}entities:
  - {{id: state, schema: PublicBody, name: EXAMPLE STATE AGENCY, topics: [gov]}}
  - {{id: holder, schema: Company, name: EXAMPLE HOLDER LLC, country: ru}}
  - {{id: ship, schema: Vessel, name: EXAMPLE SHIP}}
claims:
  - {{id: c1, subject: "#state", relation: shipment, object: IMO {SHIP_ONE},
     role: carried cargo for, start: 2023-08, end: 2023-10, confidence: medium}}
  - {{id: c2, subject: EXAMPLE OPERATOR LLC, relation: linked to,
     object: "examples:vessel:{TWIN_B}", confidence: high, description: a link}}
  - {{id: c3, subject: "#holder", relation: owns, object: "#ship", percentage: 60,
     confidence: high, description: a 60% stake}}
""")
    assert detect_loader(path).format == "evidence"
    result = load_file(base, path)
    assert result.info.source == "evidence_claims"
    assert result.info.list_date == "2023-10-16"  # the report's date dates the version
    assert result.info.relations == 3 and not result.info.problems
    one = base.by_key(f"imo-ship:{SHIP_ONE}")[0]
    up = base.edges(one, direction="up")
    claim = next(e for e in up if e.provenance.record_id == "c1")
    assert claim.kind == "shipment" and claim.start_date == "2023-08"
    assert claim.properties[EVIDENCE_PROPERTY] == [
        'tests, "EXAMPLE for tests, no real report", 2023-10-16, https://example.org/report']
    assert claim.properties["confidence"] == ["medium"]
    assert state_actor(base, claim.subject) is not None
    # The stub for EXAMPLE SHIP ONE merged into the existing node: no new vessel appeared.
    assert len(base.by_norm_name("example ship one")) == 1
    # By name (subject) and by source id (object): the claim joins the two registry nodes, and
    # only the second EXAMPLE TWIN, the one the source id names.
    twin = base.canonical_of(f"examples:vessel:{TWIN_B}")
    other_twin = base.canonical_of(f"examples:vessel:{TWIN_A}")
    assert twin is not None and other_twin is not None and twin != other_twin
    claimed = [e for e in base.edges(twin, direction="up") if EVIDENCE_PROPERTY in e.properties]
    assert [(e.kind, e.percentage, e.provenance.record_id) for e in claimed] == [
        ("link", None, "c2")]
    assert claimed[0].subject == base.by_key(f"imo-company:{OPERATOR}")[0]
    assert claimed[0].properties["description"] == ["a link"]
    assert not [e for e in base.edges(other_twin, direction="up")
                if EVIDENCE_PROPERTY in e.properties]
    # By local id, both ends: the example's share, on the example's ship.
    ship = base.canonical_of("evidence_claims:entity:ship")
    holder = base.canonical_of("evidence_claims:entity:holder")
    assert ship is not None and holder is not None and ship not in (one, twin, other_twin)
    owned = [e for e in base.edges(ship, direction="up") if e.kind == "ownership"]
    assert [(e.percentage, e.role, e.subject) for e in owned] == [(60.0, None, holder)]
    assert owned[0].properties["description"] == ["a 60% stake"]


def test_csv_claims_and_new_entities(base: Store, tmp_path: Path) -> None:
    # Every row cites an EXAMPLE and is about made-up EXAMPLE entities: a new port authority, the
    # registry's EXAMPLE OPERATOR LLC and EXAMPLE SHIP ONE, and the two new entities of row 3.
    cite = "EXAMPLE for tests,tests,https://example.org/r,2023-10-16"
    path = write(tmp_path, "claims.csv", (
        "subject,subject_schema,subject_country,subject_topics,relation,object,object_schema,role,"
        "percentage,start,end,confidence,citation_title,citation_publisher,citation_url,"
        "citation_date\n"
        f"EXAMPLE PORT AUTHORITY,Organization,ru,,transport,IMO {SHIP_ONE},,visited by,,"
        f"2023-08-15,,low,{cite}\n"
        f"IMO {OPERATOR},,,,link,{SHIP_ONE},,,,,,high,EXAMPLE for tests,tests,,2023\n"
        f"EXAMPLE HOLDER LLC,Company,ru,,ownership,EXAMPLE SHIP,Vessel,,50,,,high,{cite}\n"
    ))
    assert detect_loader(path).format == "evidence"
    result = load_file(base, path)
    # The port authority, one stub per reference as written (three of them), the two examples.
    assert result.info.entities == 6 and result.info.relations == 3
    one = base.by_key(f"imo-ship:{SHIP_ONE}")[0]
    kinds = sorted((e.kind, e.percentage) for e in base.edges(one, direction="up")
                   if EVIDENCE_PROPERTY in e.properties)
    assert kinds == [("link", None), ("transport", None)]
    assert base.by_norm_name("example port authority")
    [ship] = base.by_norm_name("example ship")
    [holder] = base.by_norm_name("example holder llc")
    node = base.node(ship)
    assert node is not None and node.schema == "Vessel" and ship != one
    assert [(e.kind, e.percentage, e.subject) for e in base.edges(ship, direction="up")] == [
        ("ownership", 50.0, holder)]


@pytest.mark.parametrize(
    ("claim", "where", "message"),
    [
        (f"{{subject: NO SUCH COMPANY, relation: owns, object: IMO {SHIP_ONE}}}", "claims[1]",
         "matches no entity"),
        (f"{{subject: EXAMPLE TWIN, relation: link, object: IMO {SHIP_ONE}}}", "claims[1]",
         "ambiguous.*EXAMPLE TWIN.*EXAMPLE TWIN"),
        (f"{{subject: IMO {SHIP_ONE}, relation: befriends, object: IMO {SHIP_ONE}}}",
         "claims[1]", "unknown relation"),
        (f"{{subject: IMO {SHIP_ONE}, relation: owns, object: IMO {SHIP_ONE}, percentage: 120}}",
         "claims[1]", "between 0 and 100"),
        (f"{{subject: IMO {SHIP_ONE}, relation: owns, object: IMO {SHIP_ONE}, confidence: sure}}",
         "claims[1]", "confidence"),
        (f"{{subject: IMO {SHIP_ONE}, relation: owns, object: IMO {SHIP_ONE}, start: soon}}",
         "claims[1]", "not a date"),
        (f"{{subject: '#nobody', relation: owns, object: IMO {SHIP_ONE}}}", "claims[1]",
         "no entity of this file"),
        (f"{{subject: IMO {SHIP_ONE}, relation: owns}}", "claims[1]", "no object"),
    ],
)
def test_a_bad_claim_stops_the_load_naming_the_row(base: Store, tmp_path: Path, claim: str,
                                                   where: str, message: str) -> None:
    # claims[0] is good; claims[1] is the bad one, and nothing of the file may be written.
    path = write(tmp_path, "bad.yaml", CITATION + f"""claims:
  - {{subject: IMO {SHIP_ONE}, relation: link, object: EXAMPLE OPERATOR LLC}}
  - {claim}
""")
    before = base.snapshot()
    with pytest.raises(SourceError, match=message) as err:
        load_file(base, path)
    assert err.value.where == where
    assert base.snapshot() == before


def test_a_claim_needs_a_citation(base: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "bare.yaml", "claims:\n  - {subject: EXAMPLE SHIP ONE, relation: link, "
                 "object: EXAMPLE OPERATOR LLC}\n")
    with pytest.raises(SourceError, match="no citation"):
        load_file(base, path)


def test_broken_yaml_names_the_line(base: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "broken.yaml", CITATION + "claims:\n  - {subject: [unclosed\n")
    with pytest.raises(SourceError, match="not valid YAML") as err:
        load_file(base, path)
    assert err.value.where and err.value.where.startswith("line ")


def test_loading_the_same_file_twice_changes_nothing(base: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "once.yaml", CITATION + f"""claims:
  - {{subject: IMO {SHIP_ONE}, relation: link, object: EXAMPLE OPERATOR LLC}}
""")
    assert load_file(base, path).info.relations == 1
    before = base.snapshot()
    assert load_file(base, path).unchanged
    assert base.snapshot() == before


def test_evidence_can_state_that_an_existing_entity_is_a_state_actor(base: Store,
                                                                      tmp_path: Path) -> None:
    company = base.by_key(f"imo-company:{OPERATOR}")[0]
    assert state_actor(base, company) is None
    path = write(tmp_path, "soe.yaml", CITATION + f"""entities:
  - {{id: op, same_as: IMO {OPERATOR}, topics: [gov.soe]}}
claims:
  - {{subject: "#op", relation: operation, object: IMO {SHIP_ONE}}}
""")
    load_file(base, path)
    # The evidence record joins the company's node (whose id now names its IMO number).
    merged = base.by_key(f"imo-company:{OPERATOR}")
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
