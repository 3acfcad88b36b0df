"""The README's main job, end to end, through the CLI."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from graph.cli import app


def test_demo_answers_who_owns_angara(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--db", str(tmp_path / "demo.db")])
    assert result.exit_code == 0, result.output
    # The screening index is built once, after the loads and the resolve, not once per step.
    assert result.stderr.count("screening index: ") == 1
    assert (tmp_path / "demo.db.screen-index").exists()
    out = result.stdout
    assert "IMO 9179842" in out
    assert "Russia" in out
    assert "M LEASING LLC" in out
    assert "MARINE TRANS SHIPPING LLC" in out
    assert out.count("RUSSIA-EO14024") >= 3
    # The demo resolves across lists: the UK's M LEASING (no IMO company number) joins OFAC's.
    assert "SANCTIONED UK OFSI Russia" in out
    assert "gb_ofsi 2025-04-10 #15911" in out
    # The RUSI report's claims are shown apart from the official chain, with their citation.
    assert "Analysts' evidence" in out
    assert "The Orient Express" in out
