"""The README's main job, end to end, through the CLI."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from graph.cli import app


def test_demo_answers_who_owns_angara(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--db", str(tmp_path / "demo.db")])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "IMO 9179842" in out
    assert "Russia" in out
    assert "M LEASING LLC" in out
    assert "MARINE TRANS SHIPPING LLC" in out
    assert out.count("RUSSIA-EO14024") >= 3
