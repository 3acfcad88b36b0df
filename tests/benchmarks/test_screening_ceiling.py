"""The ceiling yardstick of benchmarks/screening.py: which queries share word-level evidence
with a name their truth still has. Names from the OFAC, UK and UN lists."""

from __future__ import annotations

import pytest

from benchmarks.screening import name_evidence


@pytest.mark.parametrize(("query", "query_schema", "names", "schema"), [
    # transliterations and typos
    ("MELNICHUK, Sergey", "Person", ["MELNYCHUK, Serhiy"], "Person"),
    ("KRIVORUCHKO, Aleksey", "Person", ["KRIVORUCHKO, Alexei"], "Person"),
    ("EZYA", "Vessel", ["ZEYA"], "Vessel"),
    ("Neno", "Vessel", ["Neon", "Ioannis"], "Vessel"),
    # Arabic script meets Latin by its consonants
    ("طاهر جليل حبوش التكريتي", "Person", ["TAHIR JALIL HABBUSH AL-TIKRITI"], "Person"),
    # acronyms, alone, in a longer name, or spelled out letter by letter
    ("IMU", "Organization", ["ISLAMIC MOVEMENT OF UZBEKISTAN"], "Organization"),
    ("RAB FORCES", "PublicBody", ["RAPID ACTION BATTALION"], "PublicBody"),
    ("I.R.G.C.", None, ["ISLAMIC REVOLUTIONARY GUARD CORPS"], "Organization"),
    ("ISLAMIC REVOLUTIONARY GUARD CORPS", "Organization", ["IRGC"], "Organization"),
    # words run together
    ("KYRGYZTRANSAVIA AIRLINES", "Organization", ["KYRGYZ TRANS AVIA"], "Organization"),
    ("ولی جان", "Person", ["WALIJAN"], "Person"),
    ("هدايت الله", "Person", ["HIDAYATULLAH", "Abu Turab"], "Person"),
])
def test_evidence(query: str, query_schema: str | None, names: list[str], schema: str) -> None:
    assert name_evidence(query, query_schema, names, schema)


@pytest.mark.parametrize(("query", "query_schema", "names", "schema"), [
    # nicknames and unrelated aliases
    ("UNCLE TOLI", "Person", ["GONZALEZ POLANCO, Hermagoras", "GORDITO POLANCO",
                              "EL GORDO BAEZ"], "Person"),
    ("MOHAMMED, Wali", "Person", ["WAZIR, Malang", "JAN, Malang"], "Person"),
    # translations
    ("AFGHAN SERVICE BUREAU", "Organization", ["MAKHTAB AL-KHIDAMAT"], "Organization"),
    # a shared particle or legal form is no evidence
    ("Abu al-Asir", "Person", ["AL-ABSI, Amru", "Abu al-Athir"], "Person"),
    ("SOVCOMBANK LEASING LLC", "Company", ["SOLLERS-FINANCE LIMITED LIABILITY COMPANY"],
     "Company"),
    ("Abdul HAQ", "Person", ["ABDULHAI MOTMAEN", "عبدالحی مطمئن"], "Person"),
    # a person's name is nobody's acronym: ALI is not AHMED LATIF IBRAHIM
    ("ALI", "Person", ["AHMED LATIF IBRAHIM"], "Person"),
])
def test_no_evidence(query: str, query_schema: str | None, names: list[str],
                     schema: str) -> None:
    assert not name_evidence(query, query_schema, names, schema)


def test_no_names_no_evidence() -> None:
    assert not name_evidence("ROSNEFT", "Company", [], "Company")
