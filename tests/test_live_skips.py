"""Under CI a live Neo4j test that skips is a failure, never a quiet pass: the hook in
tests/conftest.py, tried on a small inner test session."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

INNER = '''
import pytest

@pytest.mark.neo4j
def test_live():
    pytest.skip("no server")

def test_other():
    pytest.skip("not live")
'''

CONFTEST = '''
from tests.conftest import pytest_runtest_makereport  # noqa: F401

def pytest_configure(config):
    config.addinivalue_line("markers", "neo4j: live")
'''


@pytest.mark.parametrize(("ci", "failed", "skipped"), [("true", 1, 1), ("", 0, 2)])
def test_a_skipped_live_test_fails_under_ci(pytester: pytest.Pytester,
                                            monkeypatch: pytest.MonkeyPatch, ci: str,
                                            failed: int, skipped: int) -> None:
    monkeypatch.setenv("CI", ci)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(INNER)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=failed, skipped=skipped)
    if failed:
        result.stdout.fnmatch_lines(["*skipped under CI=true, which is a failure: *no server*"])
