"""Telling companies, organisations and state bodies apart in lists that only say "entity".

Official lists (UN, UK, EU) type a listed party only as "entity"; the graph needs FtM's finer
schemata, and a state topic on governments, ministries and armed forces so that a path can end at
a state actor. Both calls look at the name (and the list's own remarks) and never raise.
"""

from __future__ import annotations

import re
from typing import Final

from graph.model import Schema

#: Legal forms and trade words that mark an organisation as a company.
COMPANY_WORDS: Final = re.compile(
    r"\b(LLC|L\.L\.C|LTD|LIMITED|INC|INCORPORATED|CORP|CORPORATION|CO|COMPANY|COMPANIES|JSC|PJSC|"
    r"OJSC|CJSC|OAO|ZAO|OOO|AO|PAO|TOO|LLP|GMBH|AG|SA|S\.A|SARL|SRL|S\.R\.L|BV|B\.V|NV|PLC|P\.L\.C|"
    r"PTE|PVT|FZE|FZCO|FZC|DMCC|SDN\s+BHD|BHD|KG|OY|AB|SPA|S\.P\.A|LTDA|SAS|TRADING|SHIPPING|"
    r"HOLDING|HOLDINGS|ENTERPRISE|ENTERPRISES|GROUP|BANK|BANKING|INDUSTRIES|INDUSTRY|MARINE|"
    r"LOGISTICS|JV|JOINT\s+VENTURE|INSURANCE|FINANCE|AIR|AVIATION|MANUFACTURING)\b\.?",
    re.IGNORECASE,
)

#: Legal forms: a name with one is a firm even when it also has a state-sounding word.
LEGAL_FORMS: Final = re.compile(
    r"\b(LLC|LTD|LIMITED|INC|CORP|CORPORATION|CO|COMPANY|JSC|PJSC|OJSC|CJSC|OOO|AO|PAO|PLC|GMBH|"
    r"SA|BANK|TRADING|SHIPPING|JOINT\s+VENTURE|JV)\b\.?",
    re.IGNORECASE,
)

#: Words that, in a list aimed at a state (DPRK, Iran...), mark a listed body as part of that
#: state: ministries, party departments, bureaux, armed forces, state agencies.
STATE_BODY_WORDS: Final = re.compile(
    r"\b(MINISTRY|MINISTRIES|DEPARTMENT|BUREAU|COMMITTEE|COMMISSION|OFFICE\s+\d+|ADMINISTRATION|"
    r"ARMY|FORCES?|GENERAL\s+STAFF|GOVERNMENT|AUTHORITY|ORGANI[SZ]ATION|ACADEMY|GUARD\s+CORPS|"
    r"WORKERS.?\s+PARTY)\b",
    re.IGNORECASE,
)

#: Words that mark a body as civil society, whatever else its name says ("Young Army" movement).
NON_STATE_WORDS: Final = re.compile(
    r"\b(NON[- ]GOVERNMENTAL|NON[- ]PROFIT|NON[- ]COMMERCIAL|MOVEMENT|ASSOCIATIONS?|UNION|"
    r"FOUNDATION|CHARITY|PARTY\s+OF\s+(?!KOREA))\b",
    re.IGNORECASE,
)

#: Remarks that state the listed body is the government or owned by it.
_GOVERNMENT_REMARK: Final = re.compile(
    r"\b(government entity|governmental agency|state agency|government agency)\b",
    re.IGNORECASE,
)
_SOE_REMARK: Final = re.compile(r"\bstate[- ]owned\b", re.IGNORECASE)


def state_topic(name: str, remarks: str = "", *, state_list: bool = False) -> str | None:
    """FtM topic `gov` for a state body, `gov.soe` for a state-owned enterprise, else None.

    Name words count only on lists aimed at a state (`state_list`): on a terrorism list an
    "army" is not a government's."""
    if _GOVERNMENT_REMARK.search(remarks):
        return "gov"
    if (state_list and STATE_BODY_WORDS.search(name) and not LEGAL_FORMS.search(name)
            and not NON_STATE_WORDS.search(name)):
        return "gov"
    if _SOE_REMARK.search(remarks):
        return "gov.soe"
    return None


def party_schema(name: str, topic: str | None = None) -> Schema:
    """PublicBody for a state body, Company for a named firm, Organization otherwise."""
    if topic == "gov":
        return Schema.PUBLIC_BODY
    if topic == "gov.soe" or COMPANY_WORDS.search(name):
        return Schema.COMPANY
    return Schema.ORGANIZATION
