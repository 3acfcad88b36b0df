"""The registry CSV: documented columns, a column mapping for other exports, and strict errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.errors import SourceError
from graph.model import Entity, Relation, RelationKind
from loaders import registry_csv
from tests.conftest import DEMO


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
        "9179842,ANGARA,M LEASING LLC,6246853,MARINE TRANS SHIPPING LLC,\n"
        "IMO 8517839,MARIA,IBEX SHIPPING INC,5344160,,IBEX SHIPPING INC\n"))
    mapping = {"vessel_imo": "LR/IMO Ship No.", "vessel_name": "Ship Name",
               "registered_owner": "Registered Owner",
               "registered_owner_imo": "Registered Owner Code",
               "operator": "Operator", "ism_manager": "DOC Company"}
    records = list(registry_csv.load(path, columns=mapping))
    roles = sorted((r.object, r.role, r.subject) for r in records if isinstance(r, Relation))
    assert roles == [
        ("vessel:8517839", "ISM manager", "company:ibex shipping inc"),
        ("vessel:8517839", "registered owner", "company:5344160"),
        ("vessel:9179842", "operator", "company:marine trans shipping llc"),
        ("vessel:9179842", "registered owner", "company:6246853"),
    ]


def test_long_table_with_renamed_columns(tmp_path: Path) -> None:
    path = _write(tmp_path, "IMO,Role,Company,Citation,Share\n"
                            "9179842,registered owner,M LEASING LLC,my notes,100%\n")
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
        ("vessel_imo,role,company_name,source\n9179843,operator,X,s\n",
         "line 2: vessel_imo '9179843' is not a valid IMO ship number"),
        ("vessel_imo,role,company_name,source\n9179842,captain,X,s\n",
         "line 2: unknown role 'captain'"),
        ("vessel_imo,role,company_name,company_imo,source\n9179842,operator,X,9179842,s\n",
         "is not a valid IMO company number"),
        ("vessel_imo,role,company_name,from,source\n9179842,operator,X,yesterday,s\n",
         "from 'yesterday' is not a date"),
        ("vessel_imo,role,company_name,source\n9179842,operator,X\n",
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
    # An example row (EXAMPLE names, IMO 1000007 an example number): only the share matters.
    path = _write(tmp_path, "vessel_imo,role,company_name,percentage,source\n"
                            f"1000007,beneficial owner,EXAMPLE HOLDER,{raw},EXAMPLE\n")
    relation = next(r for r in registry_csv.load(path) if isinstance(r, Relation))
    assert relation.percentage == percentage
    assert relation.properties.get("share") == ((share,) if share else None)


@pytest.mark.parametrize("raw", ["120", "50-25", "a half", '">50,<50"'])
def test_a_percentage_that_is_no_share_is_an_error(tmp_path: Path, raw: str) -> None:
    path = _write(tmp_path, "vessel_imo,role,company_name,percentage,source\n"
                            f"1000007,beneficial owner,EXAMPLE HOLDER,{raw},EXAMPLE\n")
    with pytest.raises(SourceError, match="between 0 and 100"):
        list(registry_csv.load(path))
