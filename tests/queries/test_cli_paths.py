"""The commands as a user runs them: owner with evidence apart, path --to-state, exposure,
blocked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph.cli import app
from graph.store import Store
from loaders import LOADERS
from tests.example_listing import EXAMPLE_LISTING, write_example_listing

runner = CliRunner()

RUSI = "The Orient Express: North Korea's Clandestine Supply Route to Russia"


def run(db: Path, *args: str) -> str:
    result = runner.invoke(app, [*args, "--db", str(db)])
    assert result.exit_code == 0, result.output
    return result.output


def test_owner_angara_shows_the_claims_apart_from_the_listings(demo_store: Store) -> None:
    out = run(demo_store.path, "owner", "ANGARA")
    official, _, claimed = out.partition("Parties that analysts' claims put on the vessel")
    _, _, evidence = claimed.partition("Analysts' evidence")
    assert evidence, "no evidence section"
    assert "SANCTIONED US OFAC RUSSIA-EO14024" in official
    assert RUSI.split(":")[0] in " ".join(evidence.split())
    assert "rusi.org" in evidence and "#rusi-1" in evidence
    # The official chain names no claim; the claims sit in their own sections.
    assert "#rusi-" not in official and "EVIDENCE" not in official
    assert "#rusi-9" in claimed and "STATE ACTOR" in claimed
    data = json.loads(run(demo_store.path, "owner", "ANGARA", "--json"))
    vessel = data["vessels"][0]
    claims = {c["source"]["record_id"]: c for c in vessel["evidence"]}
    assert {"rusi-1", "rusi-3", "rusi-4", "rusi-9"} <= set(claims)
    assert claims["rusi-9"]["subject_caption"] == "M LEASING LLC"
    assert all(RUSI in c["citation"] for c in claims.values())
    state = vessel["to_state"][0]
    assert state["nodes"][-1]["caption"].startswith("Government of the Democratic People")
    assert all(p["evidence"] is None for p in vessel["parties"])
    assert {p["caption"] for p in vessel["evidence_parties"]} == {
        "M LEASING LLC", "Government of the Democratic People's Republic of Korea"}


def test_path_to_state_marks_each_step_as_evidence(demo_store: Store) -> None:
    data = json.loads(run(demo_store.path, "path", "ANGARA", "--to-state", "--json"))
    paths = data["to_state"]
    assert paths and data["source"]["caption"] == "ANGARA"
    for path in paths:
        assert path["nodes"][-1]["state_actor"]
        assert "Korea" in path["nodes"][-1]["caption"]
        assert all(step["evidence"] for step in path["steps"])
    out = run(demo_store.path, "path", "ANGARA", "--to-state")
    assert "EVIDENCE RUSI" in out and "STATE ACTOR" in out


def test_path_between_two_ships_and_the_ambiguous_name(demo_store: Store) -> None:
    out = run(demo_store.path, "path", "IMO 9179842", "IMO 8517839", "--all")
    assert "2 steps" in out and "Port of Rajin" in out
    result = runner.invoke(app, ["path", "ANGARA", "MARIA", "--db", str(demo_store.path)])
    assert result.exit_code == 3
    assert "MARIA" in result.output and "fits" in result.output
    result = runner.invoke(app, ["path", "ANGARA", "--db", str(demo_store.path)])
    assert result.exit_code == 3 and "TARGET or --to-state" in result.output
    result = runner.invoke(app, ["path", "ANGARA", "ADLER", "--via", "friendship",
                                 "--db", str(demo_store.path)])
    assert result.exit_code == 3 and "unknown relation kind" in result.output


def test_exposure_json(demo_store: Store) -> None:
    data = json.loads(run(demo_store.path, "exposure", "ANGARA", "--hops", "2", "--json"))
    names = [h["node"]["caption"] for h in data["hits"]]
    assert "ADLER" in names and "M LEASING LLC" in names
    assert data["total"] == len(data["hits"])


# EXAMPLE parties only: every company and ship below is made up, listed by the test-only example
# listing, and IMO 9990052 is an example number (a valid check digit) that occurs in no file
# of ../shared/data/raw.
BLOCKING = """# EXAMPLE for tests: made-up companies and ship; no real party, no real share.
citation: {title: EXAMPLE for tests, no real register, publisher: tests, date: 2024-01-01}
entities:
  - {id: one, schema: Company, name: EXAMPLE HOLDER ONE LLC, country: ru}
  - {id: two, schema: Company, name: EXAMPLE HOLDER TWO LLC, country: ru}
  - {id: holding, schema: Company, name: EXAMPLE HOLDING LLC, country: ru}
  - {id: ship, schema: Vessel, name: EXAMPLE STAR, imoNumber: "9990052"}
  - {id: other, schema: Company, name: EXAMPLE PARTNER LLC, country: ru}
claims:
  - {subject: "#one", relation: owns, object: "#holding", percentage: 30}
  - {subject: "#two", relation: owns, object: "#holding", percentage: 20}
  - {subject: "#holding", relation: owns, object: "#ship", percentage: 100, role: registered owner}
  - {subject: "#one", relation: owns, object: "#other"}
"""


def test_blocked_lists_the_holdings_and_owner_shows_it(demo_store: Store, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(LOADERS, EXAMPLE_LISTING.format, EXAMPLE_LISTING)
    db = tmp_path / "copy.db"
    shutil.copy(demo_store.path, db)
    claims = tmp_path / "register.yaml"
    claims.write_text(BLOCKING)
    run(db, "load", str(claims))
    # The file's entities are `evidence_register:entity:<id>`: the two holders, as if listed.
    listing = write_example_listing(
        tmp_path / "listing.json",
        "EXAMPLE for tests: the made-up EXAMPLE HOLDER ONE LLC and EXAMPLE HOLDER TWO LLC as if "
        "listed; no real party, no share stated",
        ["evidence_register:entity:one", "evidence_register:entity:two"])
    run(db, "load", str(listing), "--format", EXAMPLE_LISTING.format)
    data = {b["caption"]: b for b in json.loads(run(db, "blocked", "--json"))}
    assert data["EXAMPLE HOLDING LLC"]["status"] == "blocked"
    assert data["EXAMPLE HOLDING LLC"]["total"] == 50
    assert sorted(h["caption"] for h in data["EXAMPLE HOLDING LLC"]["holdings"]) == [
        "EXAMPLE HOLDER ONE LLC", "EXAMPLE HOLDER TWO LLC"]
    # Both holders are listed: by the example listing, as nothing else names them.
    assert {h["holder_status"] for h in data["EXAMPLE HOLDING LLC"]["holdings"]} == {"listed"}
    assert data["EXAMPLE STAR"]["status"] == "blocked"
    assert data["EXAMPLE STAR"]["holdings"][0]["holder_status"] == "by ownership"
    partner = data["EXAMPLE PARTNER LLC"]
    assert partner["status"] == "possibly blocked" and partner["unknown"] == 1
    assert partner["holdings"][0]["percentage"] is None
    certain = json.loads(run(db, "blocked", "--certain", "--json"))
    assert "EXAMPLE PARTNER LLC" not in {b["caption"] for b in certain}
    assert {"EXAMPLE HOLDING LLC", "EXAMPLE STAR"} <= {b["caption"] for b in certain}
    out = run(db, "owner", "9990052")
    assert "BLOCKED BY OWNERSHIP" in out and "50% held by blocked persons" in out
    text = run(db, "blocked")
    assert "share unknown by EXAMPLE HOLDER ONE LLC" in text


def test_every_new_command_has_help() -> None:
    for command in ("path", "exposure", "blocked"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0 and "--json" in result.output
