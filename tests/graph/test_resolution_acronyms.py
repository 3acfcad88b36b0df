"""An organisation matched on its initials alone (`acronym_name`), on real records: the names,
countries and identifiers below are those the lists give (OFAC consolidated and SDN, UK OFSI,
EU Reg. 269/2014), each record by its gid."""

from __future__ import annotations

import pytest

from graph.model import Schema
from graph.resolution.decisions import Decision, decide
from graph.resolution.records import IDENTIFIER_KINDS, MatchRecord
from graph.resolution.scoring import score_pair

RECORDS: dict[str, tuple[Schema, dict[str, list[str]]]] = {
    # OMZ: Uralmash-Izhora (OFAC consolidated) and the Omutninsk steel plant (OFAC SDN).
    "us_ofac_cons:20307": (Schema.COMPANY, {
        "name": ["OMZ OAO"],
        "alias": ["OBYEDINYONNYE MASHINOSTROITELNYE ZAVODY (GRUPPA URALMASH-IZHORA)"],
        "registrationNumber": ["1026605610800"], "taxNumber": ["6663059899"],
        "country": ["ru"]}),
    "us_ofac_sdn:45529": (Schema.COMPANY, {
        "name": ["JOINT STOCK COMPANY OMUTNINSK METALLURGICAL PLANT"],
        "alias": ["OMZ AO", "AKTSIONERNOE OBSHCHESTVO OMUTNINSKI METALLURGICHESKI ZAVOD"],
        "taxNumber": ["4322000130"], "innCode": ["4322000130"],
        "registrationNumber": ["1024300962971"], "ogrnCode": ["1024300962971"],
        "country": ["ru"]}),
    # RTI: Radiotechnical and Information Systems (UK) and K Technologies (OFAC SDN).
    "gb_ofsi:15300": (Schema.ORGANIZATION, {
        "name": ["RADIOTECHNICAL AND INFORMATION SYSTEMS CONCERN"],
        "alias": ["JSC RTI"], "country": ["ru"], "taxNumber": ["7713269230"],
        "innCode": ["7713269230"]}),
    "us_ofac_sdn:48654": (Schema.COMPANY, {
        "name": ["K TECHNOLOGIES JOINT STOCK COMPANY"],
        "alias": ["RTI, PAO", "K TECHNOLOGY JOINT STOCK COMPANY"],
        "taxNumber": ["7713723559"], "innCode": ["7713723559"],
        "registrationNumber": ["1117746115233"], "ogrnCode": ["1117746115233"],
        "country": ["ru"]}),
    # KBP, the Shipunov instrument design bureau, in the EU and OFAC lists: one firm.
    "eu_oj_269_2014:I.ENTITIES#252": (Schema.COMPANY, {
        "name": ["JSC Design Bureau of Instrument-Making Named After Academic A.G. Shipunov"],
        "alias": ["JSC KBP"], "registrationNumber": ["1117154036911"],
        "taxNumber": ["7105514574"], "innCode": ["7105514574"],
        "ogrnCode": ["1117154036911"]}),
    "us_ofac_sdn:16864": (Schema.ORGANIZATION, {
        "name": ["KONSTRUKTORSKOE BYURO PRIBOROSTROENIYA OTKRYTOE AKTSIONERNOE OBSHCHESTVO"],
        "alias": ["KBP OAO", "INSTRUMENT DESIGN BUREAU", "KBP INSTRUMENT DESIGN BUREAU"],
        "registrationNumber": ["1117154036911", "07515747"], "ogrnCode": ["1117154036911"],
        "country": ["ru"]}),
}


def _record(gid: str, hide: frozenset[str]) -> MatchRecord:
    """A record of RECORDS; `other:...` is the record after the colon as another list gives
    it (the same entity, word for word)."""
    source, _, rest = gid.partition(":")
    schema, props = RECORDS[rest if source == "other" else gid]
    return MatchRecord(gid, source, 1, schema, props, hide)


@pytest.mark.parametrize(("a", "b", "hidden", "expected"), [
    # Initials and a country, nothing else: two firms called OMZ, two called RTI.
    ("us_ofac_cons:20307", "us_ofac_sdn:45529", True, Decision.REVIEW),
    ("gb_ofsi:15300", "us_ofac_sdn:48654", True, Decision.REVIEW),
    # OMZ by its initials and its full name in two lists: the full name carries it.
    ("other:us_ofac_cons:20307", "us_ofac_cons:20307", True, Decision.MERGE),
    # Their identifiers, when shown, say no outright.
    ("us_ofac_cons:20307", "us_ofac_sdn:45529", False, Decision.REJECT),
    # The same initials (KBP) and a shared OGRN: one firm.
    ("eu_oj_269_2014:I.ENTITIES#252", "us_ofac_sdn:16864", False, Decision.MERGE),
])
def test_initials_alone_do_not_merge_two_organisations(
        a: str, b: str, hidden: bool, expected: Decision) -> None:
    hide = IDENTIFIER_KINDS if hidden else frozenset()
    score = score_pair(_record(a, hide), _record(b, hide))
    assert decide(score.score) is expected, score.explanation()
    initials_only = not a.startswith("other:")
    assert ("acronym_name" in {f.name for f in score.features}) is initials_only
