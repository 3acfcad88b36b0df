"""The registry CSV: documented columns, a column mapping for other exports, and strict errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.errors import SourceError
from graph.model import Entity, Relation, RelationKind
from loaders import registry_csv
from tests.conftest import DEMO

# Apart from the demo registry (real, each row citing its source), the rows below are hand-made
# edge cases about made-up EXAMPLE ships and firms: IMO ship numbers 9990040 and 9990052 (valid
# check digits; 9990041 fails it) and IMO company numbers 9990003 and 9990017 were checked to
# occur in no file of ../shared/data/raw nor of graph/demo.
SHIP_ONE, SHIP_TWO = "9990040", "9990052"
OWNER_ONE, OWNER_TWO = "9990003", "9990017"

def _write(tmp_path: Path, text: str, name: str = "reg.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_demo_registry_rows() -> None:
    records = list(registry_csv.load(DEMO / "registry.csv"))
    relations = [r for r in records if isinstance(r, Relation)]
    assert [(r.object, r.role, r.subject) for r in relations] == [
        ("vessel:9179842", "operator", "company:6183435"),
        ("vessel:9198783", "operator", "company:sunor illc"),
    ]
    assert all(r.kind is RelationKind.OPERATION for r in relations)
    assert "tak_shadowfleet" in relations[0].properties["description"][0]
    company = next(r for r in records if isinstance(r, Entity) and r.id == "company:6183435")
    assert company.properties == {"name": ("MARINE TRANS SHIPPING LLC",),
                                  "imoNumber": ("6183435",), "country": ("ru",)}


def test_wide_table_with_mapping(tmp_path: Path) -> None:
    path = _write(tmp_path, (
        "LR/IMO Ship No.,Ship Name,Registered Owner,Registered Owner Code,Operator,DOC Company\n"
        f"{SHIP_ONE},EXAMPLE SHIP ONE,EXAMPLE OWNER LLC,{OWNER_ONE},EXAMPLE OPERATOR LLC,\n"
        f"IMO {SHIP_TWO},EXAMPLE SHIP TWO,EXAMPLE HOLDINGS INC,{OWNER_TWO},,"
        "EXAMPLE HOLDINGS INC\n"))
    mapping = {"vessel_imo": "LR/IMO Ship No.", "vessel_name": "Ship Name",
               "registered_owner": "Registered Owner",
               "registered_owner_imo": "Registered Owner Code",
               "operator": "Operator", "ism_manager": "DOC Company"}
    records = list(registry_csv.load(path, columns=mapping))
    roles = sorted((r.object, r.role, r.subject) for r in records if isinstance(r, Relation))
    assert roles == [
        (f"vessel:{SHIP_ONE}", "operator", "company:example operator llc"),
        (f"vessel:{SHIP_ONE}", "registered owner", f"company:{OWNER_ONE}"),
        (f"vessel:{SHIP_TWO}", "ISM manager", "company:example holdings inc"),
        (f"vessel:{SHIP_TWO}", "registered owner", f"company:{OWNER_TWO}"),
    ]


def test_long_table_with_renamed_columns(tmp_path: Path) -> None:
    path = _write(tmp_path, "IMO,Role,Company,Citation,Share\n"
                            f"{SHIP_ONE},registered owner,EXAMPLE OWNER LLC,EXAMPLE,100%\n")
    records = list(registry_csv.load(path, columns={
        "vessel_imo": "IMO", "role": "Role", "company_name": "Company", "source": "Citation",
        "percentage": "Share"}))
    relation = next(r for r in records if isinstance(r, Relation))
    assert relation.percentage == 100.0
    assert relation.kind is RelationKind.OWNERSHIP


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("vessel_imo,role,company_name\n1,operator,X\n", "missing column(s) source"),
        ("vessel_imo,role,company_name,source\n9990041,operator,X,s\n",
         "line 2: vessel_imo '9990041' is not a valid IMO ship number"),
        (f"vessel_imo,role,company_name,source\n{SHIP_ONE},captain,X,s\n",
         "line 2: unknown role 'captain'"),
        (f"vessel_imo,role,company_name,company_imo,source\n{SHIP_ONE},operator,X,{SHIP_TWO},s\n",
         "is not a valid IMO company number"),
        (f"vessel_imo,role,company_name,from,source\n{SHIP_ONE},operator,X,yesterday,s\n",
         "from 'yesterday' is not a date"),
        (f"vessel_imo,role,company_name,source\n{SHIP_ONE},operator,X\n",
         "line 2: expected 4 fields, found 3"),
    ],
)
def test_bad_rows_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(SourceError) as err:
        list(registry_csv.load(path))
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_mapping_to_a_missing_column_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "vessel_imo,role,company_name,source\n")
    with pytest.raises(SourceError, match="mapped column 'Owner'"):
        list(registry_csv.load(path, columns={"registered_owner": "Owner"}))


@pytest.mark.parametrize(("raw", "percentage", "share"), [
    ("50", 50.0, None),
    ("50%", 50.0, None),
    ("25-50", None, "25-50"),
    (">50", None, ">50,<=100"),
    ('">25,<=50"', None, ">25,<=50"),
    ("<25", None, ">=0,<25"),
])
def test_percentage_takes_a_figure_or_a_band(tmp_path: Path, raw: str, percentage: float | None,
                                             share: str | None) -> None:
    # An example row (made-up EXAMPLE ship and holder): only the share matters.
    path = _write(tmp_path, "vessel_imo,role,company_name,percentage,source\n"
                            f"{SHIP_ONE},beneficial owner,EXAMPLE HOLDER,{raw},EXAMPLE\n")
    relation = next(r for r in registry_csv.load(path) if isinstance(r, Relation))
    assert relation.percentage == percentage
    assert relation.properties.get("share") == ((share,) if share else None)


@pytest.mark.parametrize("raw", ["120", "50-25", "a half", '">50,<50"'])
def test_a_percentage_that_is_no_share_is_an_error(tmp_path: Path, raw: str) -> None:
    path = _write(tmp_path, "vessel_imo,role,company_name,percentage,source\n"
                            f"{SHIP_ONE},beneficial owner,EXAMPLE HOLDER,{raw},EXAMPLE\n")
    with pytest.raises(SourceError, match="between 0 and 100"):
        list(registry_csv.load(path))
