"""`fetch`: offline it fails with one line and touches no store; the rest of the pipeline
(download, check, load) runs on real files through file:// URLs, which urllib serves offline."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from graph.cli import app
from graph.errors import FetchError
from graph.store import Store
from pipeline import fetch as fetch_module
from pipeline.fetch import PUBLISHED, Published, fetch
from tests.conftest import raw


def _offline(*args: Any, **kwargs: Any) -> Any:
    raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")


def test_offline_fetch_is_one_line_and_creates_no_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(urllib.request, "urlopen", _offline)
    db = tmp_path / "store.db"
    result = CliRunner().invoke(app, ["fetch", "us_ofac_sdn", "--db", str(db)])
    assert result.exit_code == FetchError.exit_code
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: fetch us_ofac_sdn: cannot reach https://")
    assert "Traceback" not in result.output
    assert not db.exists()


def test_every_published_source_fails_cleanly_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(urllib.request, "urlopen", _offline)
    for source in PUBLISHED:
        with Store(tmp_path / f"{source}.db") as store:
            with pytest.raises(FetchError) as info:
                fetch(store, source)
            assert str(info.value).startswith(f"fetch {source}: cannot reach ")
            assert store.loads() == []


def test_unknown_source(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["fetch", "nowhere", "--db", str(tmp_path / "s.db")])
    assert result.exit_code == FetchError.exit_code
    assert "no published URL known for 'nowhere'" in result.stderr


def test_fetch_downloads_checks_and_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = Published("us_ofac_cons",
                      ((raw("ofac_consolidated_nonsdn_2025-03-28.xml").as_uri(),
                        "consolidated.xml"),),
                      "ofac_sdn_xml", "OFAC consolidated list, from a local copy")
    monkeypatch.setitem(fetch_module.PUBLISHED, "us_ofac_cons", local)
    result = CliRunner().invoke(app, ["fetch", "us_ofac_cons", "--db", str(tmp_path / "s.db"),
                                      "--json"])
    assert result.exit_code == 0, result.output
    with Store(tmp_path / "s.db") as store:
        (info,) = store.loads()
        assert (info.source, info.list_date, info.entities) == ("us_ofac_cons", "2025-03-28", 443)


def test_a_download_that_is_not_the_list_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The UN list where OFAC's should be (a moved URL serving another file).
    wrong = Published("us_ofac_cons", ((raw("un_consolidated_2026-02-27.xml").as_uri(),
                                        "consolidated.xml"),), "ofac_sdn_xml", "wrong file")
    monkeypatch.setitem(fetch_module.PUBLISHED, "us_ofac_cons", wrong)
    with Store(tmp_path / "s.db") as store:
        before = store.snapshot()
        with pytest.raises(FetchError, match=r"the downloaded file does not parse: .*root "
                                             r"element is <CONSOLIDATED_LIST>"):
            fetch(store, "us_ofac_cons")
        assert store.snapshot() == before
