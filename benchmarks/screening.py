"""Screening benchmark on everything in ../shared/data/raw: speed, quality, and the open anchors.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/screening.py [--raw DIR] [--db PATH] [--queries 20000]

1. Loads every file the loader registry recognises into a fresh store (files no loader claims
   are listed as skipped), builds the screening index and times it (target: <= 20 s).
2. *Speed*: 20,000 queries (real names perturbed by typos, word order, transliteration into
   Cyrillic, dropped legal forms and vessel prefixes, plus names of no listed entity made by
   Faker) screened end to end with `queries.screen.screen` on every core, in a fresh process so
   its peak memory is its own. Targets: >= 2,000 queries/s, <= 2 GB.
3. *Quality*: (a) alias hold-out: one name of an entity with several is left out of the index
   and used as the query; (b) cross-list: names the UK and EU lists give to entities OFAC also
   lists (truth: a shared IMO number, tax, registration or passport number), screened against
   OFAC only; (c) vessels by (perturbed) name with and without their IMO; (d) negatives; (e)
   firm negatives: invented firm names of no listed entity made of one distinctive word (a
   surname no listed name holds) and one to three of the generic words shipping firms use.
   recall@1: the true entity has the best score (ties at the top count as hits: screening shows
   every tied entity and never picks one); precision: of the queries whose best score reaches
   the default match threshold, the share whose best is the true entity; false-match rate: the
   share of negatives that reach the match threshold; review rate: the share of queries a
   screen sends to review (between the thresholds, or a close call). Targets: recall@1 >= 0.95,
   precision >= 0.98; firm negatives: false-match rate <= 0.001, review rate <= 0.03.
   The ceiling: the share of positive queries whose name shares any word-level evidence (in any
   spelling, `name_evidence`) with a name the truth still has in the index, about the best
   recall@1 a name matcher could reach, and our recall@1 with and without it.
4. *Anchors*: nomenklatura's `logic-v2` and `ofac` algorithms score the same queries on the
   candidates our index returns (FtM proxies built for query and candidates); their quality
   (at their own thresholds) and queries/s are printed beside ours (target: quality at least
   logic-v2's at fifty times its throughput or more).

The machine is shared: besides wall-clock queries/s, queries per CPU-second is printed, which
does not depend on what else runs.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph.errors import SanctionsGraphError  # noqa: E402
from graph.matching.text import (  # noqa: E402
    abjad_token,
    match_tokens,
    skeleton,
    sorted_key,
)
from graph.store import NAME_PROPERTIES, Store  # noqa: E402
from loaders import LOADERS, detect_loader  # noqa: E402
from pipeline.ingest import load_file  # noqa: E402
from queries.screen import screen_with  # noqa: E402
from queries.screening.index import (  # noqa: E402
    COUNTRY_PROPS,
    IDENTIFIER_PROPS,
    ScreenIndex,
    build_index,
    ensure_index,
    identifier_key,
    iso_dates,
)
from queries.screening.matcher import (  # noqa: E402
    MATCH_THRESHOLD,
    Matcher,
    Query,
    Settings,
    decide,
)

RAW = Path(os.environ.get("SANCTIONS_GRAPH_SHARED", ROOT.parent / "shared")) / "data" / "raw"
#: The anchors' own match thresholds: yente's default for logic-v2; the OFAC search tool's
#: usual slider setting for its emulation.
ANCHOR_THRESHOLDS = {"logic-v2": 0.70, "ofac": 0.85}
LEGAL_FORMS = {"llc", "ltd", "limited", "ooo", "oao", "zao", "pao", "ao", "jsc", "pjsc", "ojsc",
               "cjsc", "inc", "corp", "co", "company", "gmbh", "sa", "fze", "fzco", "plc", "bv",
               "l.l.c.", "co.", "ltd.", "inc.", "s.a.", "llp", "pte", "sdn", "bhd", "tov"}
CYRILLIC = dict(zip("abvgdezijklmnoprstufhc", "абвгдезийклмнопрстуфхц", strict=True))
CYRILLIC_PAIRS = {"sh": "ш", "ch": "ч", "zh": "ж", "kh": "х", "ya": "я", "yu": "ю", "ts": "ц",
                  "shch": "щ", "y": "ы", "w": "в", "x": "кс", "q": "к"}


# -- the store ---------------------------------------------------------------------------------

def build_store(raw: Path, db: Path) -> list[str]:
    """Load every file a loader recognises; returns the lines to print."""
    lines = []
    with Store(db) as store:
        for path in sorted(raw.iterdir()):
            if path.name.endswith(".md"):
                continue
            try:
                spec = detect_loader(path)
            except SanctionsGraphError:
                lines.append(f"  skipped {path.name}: no registered loader recognises it "
                             "(a companion file, or a format not supported yet)")
                continue
            started = time.perf_counter()
            try:
                result = load_file(store, path)
            except SanctionsGraphError as exc:
                lines.append(f"  skipped {path.name}: {exc}")
                continue
            info = result.info
            lines.append(f"  loaded  {path.name} as {info.source} ({spec.format}): "
                         f"{info.entities:,} entities in {time.perf_counter() - started:.1f} s")
        counts = store.counts()
    lines.append(f"  store: {counts['nodes']:,} nodes from {counts['records']:,} records; "
                 f"loaders registered: {', '.join(sorted(LOADERS))}")
    return lines


# -- perturbations -----------------------------------------------------------------------------

def typo(rng: random.Random, text: str) -> str:
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    if len(letters) < 4:
        return text
    i = rng.choice(letters)
    kind = rng.randrange(3)
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1 and i + 1 < len(text):
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + rng.choice("aeioulnrst") + text[i + 1 :]


def reorder(rng: random.Random, text: str) -> str:
    words = text.replace(",", " ").split()
    if len(words) < 2:
        return text
    rng.shuffle(words)
    return " ".join(words)


def to_cyrillic(text: str) -> str:
    out, lower, i = [], text.lower(), 0
    while i < len(lower):
        for size in (4, 2, 1):
            piece = lower[i : i + size]
            if piece in CYRILLIC_PAIRS:
                out.append(CYRILLIC_PAIRS[piece])
                i += size
                break
        else:
            out.append(CYRILLIC.get(lower[i], lower[i]))
            i += 1
    return "".join(out).upper()


def drop_legal_form(text: str) -> str:
    words = [w for w in text.replace('"', " ").split() if w.lower().strip(",") not in LEGAL_FORMS]
    return " ".join(words) if words else text


def perturb(rng: random.Random, name: str, schema: str) -> tuple[str, str]:
    """A perturbed spelling and what was done."""
    kinds = ["typo", "order", "translit", "same"]
    if schema in ("Company", "Organization", "LegalEntity"):
        kinds.append("legal form")
    if schema == "Vessel":
        kinds.append("prefix")
    kind = rng.choice(kinds)
    if kind == "typo":
        return typo(rng, name), kind
    if kind == "order":
        return reorder(rng, name), kind
    if kind == "translit":
        return (to_cyrillic(name) if name.isascii() else name), kind
    if kind == "legal form":
        return drop_legal_form(name), kind
    if kind == "prefix":
        return f"MV {name}", kind
    return name, kind


def negatives(rng: random.Random, count: int, index: ScreenIndex) -> list[dict[str, str]]:
    """Names of no listed entity: Faker persons and companies in several locales, minus any
    whose match key is a listed name."""
    from faker import Faker

    fake = Faker(["en_US", "ru_RU", "ar_AA", "fa_IR", "zh_CN", "de_DE", "tr_TR", "uk_UA",
                  "ko_KR", "fr_FR"])
    fake.seed_instance(rng.randrange(1 << 30))
    listed = {k for e in index.entities for k in e.keys}
    out: list[dict[str, str]] = []
    while len(out) < count:
        if rng.random() < 0.6:
            name, schema = fake.name(), "Person"
        else:
            name, schema = fake.company(), "Company"
        if sorted_key(match_tokens(name, schema)) in listed:
            continue
        out.append({"name": name, "schema": schema})
    return out


#: Words shipping firms' names are made of besides their own (what they do, where, what they
#: are), for the firm negatives: written here for the benchmark, not taken from the matcher's
#: list of generic words, so that words it does not know are tried too.
FIRM_WORDS: Final = (
    "Shipping", "Trading", "Maritime", "Marine", "Trans", "Group", "Leasing", "Shipmanagement",
    "Logistics", "Holding", "Holdings", "Navigation", "Tankers", "Ocean", "Global",
    "International", "Services", "Lines", "Carriers", "Energy", "Petroleum", "Freight",
    "Chartering", "Management", "Investments", "Enterprises", "Bulk", "Offshore", "Seaways",
    "Agency", "Transport", "Resources", "Commodities", "Oil", "Gas", "Supply", "Solutions",
    "Partners", "Consulting", "Engineering", "Industries", "Capital", "Ventures", "Projects",
    "Bunkering", "Fuels", "Towage", "Terminals", "Ports", "Express", "Trade", "Company")
FIRM_FORMS: Final = ("Ltd", "LLC", "Inc", "GmbH", "JSC", "SA", "Co", "Corp", "BV", "FZE",
                     "Pte Ltd", "AS", "Limited", "SRL", "DMCC", "SpA")


def firm_negatives(rng: random.Random, count: int, index: ScreenIndex) -> list[dict[str, str]]:
    """Invented firm names of no listed entity: a surname that no listed name holds as a word
    (Faker, several locales) with one to three FIRM_WORDS and a legal form; none whose match
    key is a listed name's."""
    from faker import Faker

    fake = Faker(["en_US", "de_DE", "es_ES", "it_IT", "nl_NL", "tr_TR", "el_GR", "fr_FR"])
    fake.seed_instance(rng.randrange(1 << 30))
    listed = {k for e in index.entities for k in e.keys}
    listed_words = {w for key in listed for w in key.split()}
    out: list[dict[str, str]] = []
    while len(out) < count:
        surname = fake.last_name()
        own = match_tokens(surname, "Company")
        if not own or any(w in listed_words for w in own):
            continue
        name = " ".join([surname, *rng.sample(FIRM_WORDS, rng.randint(1, 3)),
                         rng.choice(FIRM_FORMS)])
        if sorted_key(match_tokens(name, "Company")) in listed:
            continue
        out.append({"name": name, "schema": "Company"})
    return out


# -- query sets --------------------------------------------------------------------------------

@dataclass
class Case:
    query: Query
    truth: frozenset[str]
    label: str


#: The properties an anchor's FtM entity of a listed node is given (as the store states them).
FTM_PROPS: Final = frozenset((*NAME_PROPERTIES, "imoNumber", "mmsi", *IDENTIFIER_PROPS,
                              *COUNTRY_PROPS, "birthDate", "buildDate", "incorporationDate",
                              "callSign", "gender"))


@dataclass(frozen=True)
class Scope:
    """What an index was built from: the sources kept and the names held out (`build_index`'s
    `sources` and `exclude`); the anchors see a node as that index does."""

    sources: frozenset[str] | None = None
    exclude: Callable[[str, str], bool] | None = None


def stated_props(store: Store, ids: Collection[str], scope: Scope
                 ) -> dict[str, dict[str, list[str]]]:
    """Each node's FtM properties as the store states them, within the scope: only facts of
    its sources, and without a held-out name (in any property)."""
    facts: dict[str, list[tuple[str, str]]] = {}
    for cid, fact in store.iter_facts(ids):
        if fact.prop in FTM_PROPS and (scope.sources is None
                                       or fact.provenance.source in scope.sources):
            facts.setdefault(cid, []).append((fact.prop, fact.value))
    out: dict[str, dict[str, list[str]]] = {}
    for cid, pairs in facts.items():
        dropped = {v for p, v in pairs if p in NAME_PROPERTIES
                   and scope.exclude is not None and scope.exclude(cid, v)}
        props: dict[str, list[str]] = {}
        for prop, value in pairs:
            if value not in dropped:
                values = props.setdefault(prop, [])
                if value not in values:
                    values.append(value)
        out[cid] = props
    return out


@dataclass
class Quality:
    name: str
    n: int = 0
    hits: int = 0
    over: int = 0
    over_right: int = 0
    false_match: int = 0
    review: int = 0
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, truth: frozenset[str], ranked: Sequence[tuple[str, float]],
            threshold: float, decision: str | None = None) -> bool:
        """Counts one query (and its decision, when a screen made one); returns whether the
        truth is among the tied best."""
        self.n += 1
        self.review += decision == "review"
        top = ranked[0][1] if ranked else 0.0
        tied = {e for e, s in ranked if s >= top - 1e-9} if ranked else set()
        hit = bool(truth & tied)
        if truth:
            self.hits += hit
            if top >= threshold:
                self.over += 1
                self.over_right += hit
        elif top >= threshold:
            self.false_match += 1
        return hit

    def row(self) -> tuple[str, str, str, str]:
        if "negatives" in self.name:
            rate = self.false_match / self.n if self.n else 0.0
            return "-", "-", f"{rate:.3f}", f"{self.n / self.seconds:,.0f}" if self.seconds else "-"
        recall = self.hits / self.n if self.n else 0.0
        precision = f"{self.over_right / self.over:.3f}" if self.over else "none over"
        qps = f"{self.n / self.seconds:,.0f}" if self.seconds else "-"
        return f"{recall:.3f}", precision, "-", qps

    def review_rate(self) -> str:
        return f"{self.review / self.n:.3f}" if self.n else "-"


def query_of(row: dict[str, Any], number: int) -> Query:
    from queries.screening.io import map_columns, parse_row

    return parse_row(row, number, map_columns(list(row)))


#: Lists whose aliases the hold-out takes, each screened against an index of that list alone:
#: the same person listed by OFAC and the UK is two nodes until resolution merges them, and a
#: held-out name found on the other list's node is right, not a miss.
HOLDOUT_SOURCES = ("us_ofac_sdn", "gb_ofsi", "un_sc", "eu_oj_269_2014")


def alias_holdout(rng: random.Random, store: Store, base: ScreenIndex,
                  sample: int) -> list[tuple[Matcher, list[Case], Scope]]:
    loaded = {i.source for i in store.loads(current_only=True)}
    sources = [s for s in HOLDOUT_SOURCES if s in loaded]
    out = []
    for source in sources:
        eligible = [e for e in base.entities if source in e.sources and len(e.sources) == 1
                    and len(e.keys) >= 2 and e.schema != "Airplane"]
        chosen = rng.sample(eligible, min(sample // len(sources), len(eligible)))
        held: dict[str, str] = {}
        cases = []
        for n, entity in enumerate(chosen):
            i = rng.randrange(1, len(entity.keys))
            held[entity.id] = entity.keys[i]
            words = {w for w in entity.keys[i].split() if len(w) >= 3}
            kept = {w for k in entity.keys if k != entity.keys[i] for w in k.split()}
            cases.append(Case(query_of({"name": entity.names[i], "schema": entity.schema}, n),
                              frozenset({entity.id}), "variant" if words & kept else "other"))
        schemata = {e.id: e.schema for e in chosen}

        def exclude(cid: str, name: str, held: dict[str, str] = held,
                    schemata: dict[str, str] = schemata) -> bool:
            key = held.get(cid)
            return key is not None and sorted_key(match_tokens(name, schemata[cid])) == key

        index = build_index(store, sources=[source], exclude=exclude)
        out.append((Matcher(index, Settings()), cases, Scope(frozenset([source]), exclude)))
    return out


def cross_list(store: Store) -> tuple[list[str], list[Case], str]:
    """UK/EU names of entities OFAC lists too, truth from shared identifiers."""
    sources = {i.source for i in store.loads(current_only=True)}
    ofac = sorted(s for s in sources if s.startswith("us_ofac"))
    other = sorted(s for s in sources if s.startswith(("gb_", "uk_", "eu_")))
    if not ofac or not other:
        return ofac, [], (f"no cross-list set: OFAC sources {ofac or 'none'}, "
                          f"UK/EU {other or 'none'}")
    ids: dict[str, dict[str, set[str]]] = {"ofac": {}, "other": {}}
    names: dict[str, list[tuple[str, str]]] = {}
    dates: dict[str, list[str]] = {}
    schema_of = {n.id: n.schema for n in store.iter_nodes()}
    for cid, fact in store.iter_facts():
        src = fact.provenance.source
        group = "ofac" if src in ofac else "other" if src in other else None
        if group is None:
            continue
        if fact.prop in ("imoNumber", *IDENTIFIER_PROPS):
            key = identifier_key(fact.value)
            if key:
                ids[group].setdefault(key, set()).add(cid)
        if group == "other" and fact.prop == "name":
            names.setdefault(cid, []).append((src, fact.value))
        if group == "other" and fact.prop == "birthDate":
            dates.setdefault(cid, []).extend(iso_dates(fact.value))
    truth: dict[str, set[str]] = {}
    for key, cids in ids["other"].items():
        targets = ids["ofac"].get(key)
        if not targets or len(targets) > 3 or len(cids) > 3:
            continue
        for cid in cids:
            truth.setdefault(cid, set()).update(targets)
    cases = []
    for n, (cid, targets) in enumerate(sorted(truth.items())):
        if cid not in names:
            continue
        row = {"name": names[cid][0][1], "schema": schema_of.get(cid, "LegalEntity")}
        if dates.get(cid):
            row["birth_date"] = dates[cid][0]
        cases.append(Case(query_of(row, n), frozenset(targets), names[cid][0][0]))
    return ofac, cases, (f"cross-list: {len(cases)} UK/EU entities sharing an identifier with "
                         f"OFAC ({', '.join(other)} vs {', '.join(ofac)})")


def vessel_cases(rng: random.Random, index: ScreenIndex, sample: int) -> tuple[list[Case],
                                                                                list[Case]]:
    vessels = [e for e in index.entities if e.schema == "Vessel" and e.imos]
    chosen = rng.sample(vessels, min(sample, len(vessels)))
    with_imo, without = [], []
    for n, entity in enumerate(chosen):
        name = rng.choice(entity.names)
        if rng.random() < 0.5:
            name = typo(rng, name)
        if rng.random() < 0.3:
            name = f"M/V {name}"
        imo = entity.imos[0]
        with_imo.append(Case(query_of({"name": name, "imo": imo}, n), frozenset({entity.id}),
                             "vessel+imo"))
        without.append(Case(query_of({"name": name, "schema": "Vessel"}, n),
                            frozenset({entity.id}), "vessel"))
    return with_imo, without


# -- scoring with ours and the anchors ---------------------------------------------------------

@contextmanager
def timed(quality: Quality) -> Iterator[None]:
    """CPU seconds of the block into `quality.seconds`, with the garbage collector held off:
    this process keeps several indexes and every query set alive, and a full collection
    walking them (half a second, at random) is the harness's cost, not the matcher's. Ours
    and the anchors are timed alike."""
    gc.collect()
    gc.disable()
    started = time.process_time()
    try:
        yield
    finally:
        quality.seconds += time.process_time() - started
        gc.enable()


def ours(matcher: Matcher, cases: Sequence[Case], name: str, misses: int = 0) -> Quality:
    quality = Quality(name)
    # Recall at rank 1 looks at the best candidate whatever its score: no review floor, and
    # explanations for the reported five only (as a screen does), not for every candidate.
    ranking = Matcher(matcher.index, replace(matcher.settings, review_threshold=1e-9))
    ranking.prepare()  # the blocking and word matrices, built before a screen's workers fork
    with timed(quality):
        results = ranking.screen_many([case.query for case in cases])
    # Each case's hit, in case order, for the ceiling table.
    settings = matcher.settings
    quality.extra["hits"] = [
        quality.add(case.truth, [(m.entity_id, m.score) for m in result.matches],
                    settings.threshold,
                    decide(result.matches, settings, read_in_part=bool(result.error)))
        for case, result in zip(cases, results, strict=True)]
    if misses:
        print_misses(matcher, cases, results, name, misses)
    return quality


def print_misses(matcher: Matcher, cases: Sequence[Case], results: Sequence[Any], name: str,
                 limit: int) -> None:
    """A sample of the queries whose best match is not the truth (or, for negatives, that
    reach the match threshold): the query, the truth's names, whether the query's name has
    evidence of the truth's (`name_evidence`), our best and why."""
    by_id = {e.id: e for e in matcher.index.entities}
    shown = 0
    print(f"\n  misses in {name} (first {limit}):")
    for case, result in zip(cases, results, strict=True):
        top = result.matches[0] if result.matches else None
        if case.truth:
            if top is not None and top.entity_id in case.truth:
                continue
        elif top is None or top.score < matcher.settings.threshold:
            continue
        truth = [n for t in sorted(case.truth) if t in by_id for n in by_id[t].names[:3]]
        ours_score = next((m.score for m in result.matches if m.entity_id in case.truth), None)
        evidence = "" if not case.truth else (
            "; name evidence" if case_evidence(by_id, case) else "; no name evidence")
        print(f"    {case.query.name!r} [{case.query.schema or '-'}] truth {truth[:3]} "
              f"(ours {ours_score if ours_score is not None else 'not in our top 5'}"
              f"{evidence}); best: "
              + (f"{top.score:.2f} {top.explanation[:140]}" if top else "nothing"))
        shown += 1
        if shown >= limit:
            break


def ftm_proxy(schema: str, props: Mapping[str, Iterable[str]], ident: str) -> Any:
    from followthemoney import model

    proxy = model.make_entity(schema if schema in model.schemata else "LegalEntity")
    proxy.id = ident
    for prop, values in props.items():
        if prop in proxy.schema.properties:
            for value in values:
                proxy.add(prop, value, quiet=True, cleaned=False)
    return proxy


def query_proxy(query: Query, ident: str) -> Any:
    """The query as an FtM entity. Each needs its own id: nomenklatura caches name analysis
    by entity id."""
    schema = query.schema or "LegalEntity"
    props: dict[str, list[str]] = {"name": [query.name]}
    if query.imo:
        props["imoNumber"] = [query.imo]
    if query.mmsi:
        props["mmsi"] = [query.mmsi]
    if query.countries:
        props["flag" if schema == "Vessel" else "country"] = list(query.countries)
    if query.date:
        props["buildDate" if schema == "Vessel" else "birthDate"] = [query.date]
    if query.identifiers:
        props["registrationNumber"] = list(query.identifiers)
    return ftm_proxy(schema, props, ident)


def anchors(store: Store, matcher: Matcher, cases: Sequence[Case], name: str,
            algorithms: dict[str, Any], scope: Scope) -> dict[str, Quality]:
    from nomenklatura.matching import ScoringConfig

    config = ScoringConfig.defaults()
    entities = matcher.index.entities
    candidate_lists: list[tuple[Any, list[int]]] = []
    for case in cases:
        numbers = matcher.candidate_entities(case.query)
        candidate_lists.append((query_proxy(case.query, f"query-{name}-{len(candidate_lists)}"),
                                numbers))
    wanted = sorted({n for _, numbers in candidate_lists for n in numbers})
    props = stated_props(store, [entities[n].id for n in wanted], scope)
    proxies = {n: ftm_proxy(entities[n].schema, props.get(entities[n].id, {}), entities[n].id)
               for n in wanted}
    out = {}
    for algo_name, algorithm in algorithms.items():
        quality = Quality(name)
        with timed(quality):
            for case, (proxy, numbers) in zip(cases, candidate_lists, strict=True):
                ranked = sorted(((entities[n].id,
                                  algorithm.compare(proxy, proxies[n], config).score)
                                 for n in numbers), key=lambda r: -r[1])
                quality.add(case.truth, ranked, ANCHOR_THRESHOLDS[algo_name])
        out[algo_name] = quality
    return out


# -- the ceiling: queries a name matcher could find at all -------------------------------------

#: Words whose sharing is no evidence that two names are one: articles and particles of
#: personal names (AL-, ABU, ABDUL, BIN, DE LA, VAN), function words, and legal forms (LLC,
#: LTD, JSC).
EVIDENCE_STOPWORDS = frozenset({
    "al", "el", "ul", "ad", "ar", "as", "az", "an", "abu", "abou", "bin", "ibn", "ben", "bint",
    "abd", "abdul", "abdel", "abdal", "abdoul",
    "of", "the", "and", "for", "in", "on", "at", "to", "a",
    "de", "del", "della", "der", "den", "van", "von", "da", "do", "dos", "das", "du", "di", "la",
    "le", "les", "los", "y", "e", "et", "und",
    "corporation", "incorporated", *(form for form in LEGAL_FORMS if "." not in form),
})


def _words_meet(a: str, b: str) -> bool:
    """Two normalised words are one in some spelling: equal (2 letters or more), a typo apart
    (rapidfuzz ratio >= 80, both of 3 letters or more; or, both of 4 letters or more, one
    letter left out, added, changed or two swapped: NENO/NEON, which the ratio puts at 75), or
    of one consonant skeleton or one Arabic-script consonant spelling (`abjad_token`) of 2
    letters or more."""
    if a == b:
        return len(a) >= 2
    if len(a) >= 3 and len(b) >= 3 and fuzz.ratio(a, b) >= 80:
        return True
    if len(a) >= 4 and len(b) >= 4 and OSA.distance(a, b, score_cutoff=1) <= 1:
        return True
    key = skeleton(a)
    if len(key) >= 2 and key == skeleton(b):
        return True
    key = abjad_token(a)
    return len(key) >= 2 and key == abjad_token(b)


def _run_together(tokens: tuple[str, ...]) -> set[str]:
    """A name's runs of two or three consecutive words written as one (KYRGYZ TRANS AVIA:
    kyrgyztrans, transavia, kyrgyztransavia)."""
    return {"".join(tokens[i:j]) for i in range(len(tokens))
            for j in range(i + 2, min(i + 3, len(tokens)) + 1)}


def _acronyms(tokens: tuple[str, ...]) -> set[str]:
    """The words of a name that may be an acronym: the name itself if it is one word of 2
    letters or more ("IRGC") or single letters ("I.R.G.C."), else its words of 3 letters or
    more ("RAB FORCES")."""
    if len(tokens) == 1:
        return {tokens[0]} if len(tokens[0]) >= 2 else set()
    if all(len(t) == 1 for t in tokens):
        return {"".join(tokens)}
    return {t for t in tokens if len(t) >= 3}


def _initials(tokens: tuple[str, ...]) -> set[str]:
    """A name's initials, with and without its particles (ISOIATL, ISIL), if it has 2 words or
    more."""
    spelled = ("".join(t[0] for t in tokens),
               "".join(t[0] for t in tokens if t not in EVIDENCE_STOPWORDS))
    return {s for s in spelled if len(s) >= 2} if len(tokens) >= 2 else set()


def name_evidence(query_name: str, query_schema: str | None, truth_names: Iterable[str],
                  schema: str) -> bool:
    """Whether a query's name shares any word-level evidence with at least one of the truth's
    names, both taken as `match_tokens` gives them (Latin script, lower case, legal forms of
    organisations off) with the particles and legal forms of `EVIDENCE_STOPWORDS` ignored:

    * a word of each that `_words_meet` (equal, a typo apart, one consonant skeleton or one
      Arabic-script spelling);
    * a word of one that meets two or three consecutive words of the other run together
      (KYRGYZTRANSAVIA and KYRGYZ TRANS AVIA; WALIJAN and Arabic-script WALI JAN);
    * unless the truth is a person, a word of one that spells the other's initials (IMU and
      ISLAMIC MOVEMENT OF UZBEKISTAN).

    A yardstick, not a matcher: evidence says a name matcher could find the truth at all, not
    that it should rank it first. A query without any (a nickname, a translation, an unrelated
    alias) can only be found by something other than its name."""
    query = match_tokens(query_name, query_schema)
    words = [w for w in query if w not in EVIDENCE_STOPWORDS]
    joined = _run_together(tuple(words))
    acronyms = _acronyms(query) if schema != "Person" else set()
    initials = _initials(query) if schema != "Person" else set()
    for name in truth_names:
        tokens = match_tokens(name, schema)
        theirs = tuple(t for t in tokens if t not in EVIDENCE_STOPWORDS)
        if any(_words_meet(q, t) for t in theirs for q in words):
            return True
        if (any(_words_meet(j, t) for j in joined for t in theirs)
                or any(_words_meet(j, q) for j in _run_together(theirs) for q in words)):
            return True
        if schema != "Person" and (acronyms & _initials(tokens) or _acronyms(tokens) & initials):
            return True
    return False


def case_evidence(by_id: dict[str, Any], case: Case) -> bool:
    """`name_evidence` of a case against each of its truth entities' names in `by_id` (an
    index's `IndexedEntity` by id)."""
    return any(name_evidence(case.query.name, case.query.schema, by_id[t].names, by_id[t].schema)
               for t in case.truth if t in by_id)


def ceiling_rows(sets: Sequence[tuple[str, Matcher, Sequence[Case], Quality]],
                 ) -> tuple[list[list[str]], list[int]]:
    """Per set and over all of them: queries; the share whose name has evidence (about the best
    recall@1 a name matcher could reach); our recall@1 on those with and those without; and
    the share with evidence or hit anyway. Also the totals: queries, with evidence, our hits
    with and without."""
    by_index: dict[int, dict[str, Any]] = {}
    rows = []
    total = [0, 0, 0, 0]  # queries, with evidence, hits with, hits without
    for name, matcher, cases, quality in sets:
        index = matcher.index
        if id(index) not in by_index:
            by_index[id(index)] = {e.id: e for e in index.entities}
        evidence = [case_evidence(by_index[id(index)], case) for case in cases]
        hits = quality.extra["hits"]
        counts = [len(cases), sum(evidence),
                  sum(h for h, e in zip(hits, evidence, strict=True) if e),
                  sum(h for h, e in zip(hits, evidence, strict=True) if not e)]
        total = [a + b for a, b in zip(total, counts, strict=True)]
        rows.append([name, *_ceiling_cells(*counts)])
    rows.append(["all positive sets", *_ceiling_cells(*total)])
    return rows, total


def _ceiling_cells(n: int, evidence: int, hits_with: int, hits_without: int) -> list[str]:
    without = n - evidence
    return [f"{n:,}", f"{evidence / n:.3f} ({evidence:,})" if n else "-",
            f"{hits_with / evidence:.3f}" if evidence else "-",
            f"{hits_without / without:.3f} ({hits_without:,}/{without:,})" if without else "-",
            f"{(evidence + hits_without) / n:.3f}" if n else "-"]


# -- speed (run in a fresh process) ------------------------------------------------------------

def speed_child(db: Path, queries: Path, workers: int) -> dict[str, Any]:
    rows = [json.loads(line) for line in queries.read_text(encoding="utf-8").splitlines()]
    started = time.perf_counter()
    cpu0 = time.process_time()
    with Store(db, create=False) as store:
        index, built = ensure_index(store)
        loaded = time.perf_counter() - started
        matcher = Matcher(index, Settings())
        t0 = time.perf_counter()
        decisions: dict[str, int] = {}
        for result in screen_with(matcher, rows, workers=workers):
            decisions[result.decision] = decisions.get(result.decision, 0) + 1
        screening = time.perf_counter() - t0
    total = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (time.process_time() - cpu0) + children.ru_utime + children.ru_stime
    return {"rows": len(rows), "workers": workers, "index_load_s": loaded, "built": built,
            "screen_s": screening, "total_s": total, "cpu_s": cpu,
            "peak_main_mb": own.ru_maxrss / 1024, "peak_worker_mb": children.ru_maxrss / 1024,
            "decisions": decisions}


def run_speed(db: Path, rows: list[dict[str, str]], workers: int) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False,
                                     encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--speed-child", str(db), handle.name, str(workers)],
            check=True, capture_output=True, text=True,
        )
    finally:
        os.unlink(handle.name)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# -- printing ----------------------------------------------------------------------------------

def table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    print("  " + "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  " + "  ".join("-" * w for w in widths))
    for row in rows:
        print("  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--raw", type=Path, default=RAW)
    parser.add_argument("--db", type=Path, help="store to (re)use; default a fresh temp store")
    parser.add_argument("--queries", type=int, default=20_000)
    parser.add_argument("--sample", type=int, default=2000,
                        help="queries per quality set (the alias hold-out shares them out "
                             "between its lists)")
    parser.add_argument("--anchor-sample", type=int, default=400,
                        help="queries per quality set scored by the anchors (0: no anchors "
                             "table, for quick runs while tuning)")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--workers", type=int, default=0, help="0: one per core")
    parser.add_argument("--misses", type=int, default=0,
                        help="print this many misses of each quality set")
    parser.add_argument("--speed-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.speed_child:
        db, queries, workers = args.speed_child
        print(json.dumps(speed_child(Path(db), Path(queries), int(workers))))
        return
    rng = random.Random(args.seed)
    workers = args.workers or len(os.sched_getaffinity(0))
    tmp = tempfile.TemporaryDirectory(prefix="screen-bench-")
    db = args.db or Path(tmp.name) / "bench.db"
    print(f"Screening benchmark: {args.raw}  (cores: {len(os.sched_getaffinity(0))}, "
          f"load average {os.getloadavg()[0]:.1f})")
    if not db.exists():
        started = time.perf_counter()
        for line in build_store(args.raw, db):
            print(line)
        print(f"  loading took {time.perf_counter() - started:.1f} s")
    store = Store(db)
    started = time.perf_counter()
    cpu = time.process_time()
    index, _ = ensure_index(store, rebuild=True)
    build_s, build_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"  index: {len(index.entities):,} entities, {len(index.entry_entity):,} names, "
          f"{len(index.tokens.ids):,} tokens, {len(index.grams.ids):,} trigrams; built and "
          f"saved in {build_s:.1f} s ({build_cpu:.1f} CPU s; target <= 20 s)")

    # speed
    pool = [(name, e.schema) for e in index.entities for name in e.names]
    rows: list[dict[str, str]] = []
    n_neg = args.queries // 4
    for _ in range(args.queries - n_neg):
        name, schema = rng.choice(pool)
        text, _kind = perturb(rng, name, schema)
        rows.append({"name": text, "schema": schema} if rng.random() < 0.5 else {"name": text})
    rows.extend(negatives(rng, n_neg, index))
    rng.shuffle(rows)
    speed = run_speed(db, rows, workers)
    single = run_speed(db, rows[:5000], 1)
    table("SPEED (end to end: read index, screen, results back in order)",
          ["run", "queries", "wall s", "queries/s", "queries/CPU-s", "peak RSS main",
           "peak RSS worker", "target"],
          [[f"{speed['workers']} workers", f"{speed['rows']:,}", f"{speed['total_s']:.2f}",
            f"{speed['rows'] / speed['total_s']:,.0f}", f"{speed['rows'] / speed['cpu_s']:,.0f}",
            f"{speed['peak_main_mb']:,.0f} MB", f"{speed['peak_worker_mb']:,.0f} MB",
            ">= 2,000 q/s, <= 2 GB"],
           [f"{single['workers']} worker", f"{single['rows']:,}", f"{single['total_s']:.2f}",
            f"{single['rows'] / single['total_s']:,.0f}",
            f"{single['rows'] / single['cpu_s']:,.0f}", f"{single['peak_main_mb']:,.0f} MB",
            "-", ""]])
    print(f"  (screening alone: {speed['rows'] / speed['screen_s']:,.0f} q/s; index read "
          f"{speed['index_load_s']:.2f} s; decisions {speed['decisions']})")

    # quality
    settings = Settings()
    matcher = Matcher(index, settings)
    holdouts = alias_holdout(rng, store, index, args.sample)
    scopes = {id(holdout): scope for holdout, _, scope in holdouts}
    ofac_sources, cross_cases, cross_note = cross_list(store)
    ofac_index = build_index(store, sources=ofac_sources) if cross_cases else None
    ofac_matcher = Matcher(ofac_index, settings) if ofac_index else None
    if ofac_matcher:
        scopes[id(ofac_matcher)] = Scope(frozenset(ofac_sources))
    if len(cross_cases) > args.sample:
        cross_cases = rng.sample(cross_cases, args.sample)
    vessels_imo, vessels_name = vessel_cases(rng, index, args.sample)
    negative_cases = [Case(query_of(r, i), frozenset(), "negative")
                      for i, r in enumerate(negatives(rng, args.sample, index))]
    firm_cases = [Case(query_of(r, i), frozenset(), "negative")
                  for i, r in enumerate(firm_negatives(rng, args.sample, index))]
    sets: list[tuple[str, Matcher, list[Case]]] = []
    for holdout, alias_cases, _ in holdouts:
        source = holdout.index.sources[0] if holdout.index.sources else "?"
        sets.append((f"(a) alias hold-out, {source}", holdout, alias_cases))
        sets.append((f"(a') alias hold-out, {source}, aliases sharing a word", holdout,
                     [c for c in alias_cases if c.label == "variant"]))
    sets += [
        ("(c) vessels, name + IMO", matcher, vessels_imo),
        ("(c) vessels, name only", matcher, vessels_name),
        ("(d) negatives (not listed)", matcher, negative_cases),
        ("(e) firm negatives (a surname and generic words)", matcher, firm_cases),
    ]
    if ofac_matcher:
        sets.insert(len(sets) - 4, ("(b) cross-list UK/EU -> OFAC", ofac_matcher, cross_cases))
    print(f"\n  {cross_note}")
    results = {name: ours(m, cases, name, args.misses) for name, m, cases in sets}
    positives = [q for q in results.values()
                 if not q.name.startswith(("(d)", "(e)", "(a')"))]
    overall = Quality("all positive sets")
    for q in positives:
        overall.n += q.n
        overall.hits += q.hits
        overall.over += q.over
        overall.over_right += q.over_right
        overall.review += q.review
        overall.seconds += q.seconds
    table(f"QUALITY (ours, match threshold {MATCH_THRESHOLD:.2f}; targets recall@1 >= 0.95, "
          "precision >= 0.98; firm negatives: false matches <= 0.001, review <= 0.03)",
          ["set", "queries", "recall@1", "precision", "false-match rate", "review rate"],
          [[q.name, f"{q.n:,}", *q.row()[:3], q.review_rate()]
           for q in [*results.values(), overall]])
    ceiling, (n, evidence, hits_with, hits_without) = ceiling_rows(
        [(name, m, cases, results[name]) for name, m, cases in sets if results[name] in positives])
    table("CEILING (queries whose name shares a word, in any spelling, with a name the truth "
          "still has)",
          ["set", "queries", "with evidence", "recall@1 with", "recall@1 without",
           "evidence or hit"], ceiling)
    print("  evidence: after match_tokens, a word equal, a typo apart (rapidfuzz ratio >= 80, "
          "or one edit in words of 4 letters\n  or more), of one consonant skeleton or one "
          "Arabic-script spelling, words run together, or (not for persons) a word\n  spelling "
          "the other name's initials; particles and legal forms not counted. 'with evidence' is "
          "about the best\n  recall@1 a name matcher can reach; 'evidence or hit' adds the "
          "queries we find without it (by IMO, or by a spelling\n  the yardstick does not see: "
          "EVROTRANSEKSPEDITSIYA for EUROTRANSEXPEDITION)")
    need = math.ceil(0.95 * n) - hits_without
    if evidence and need <= evidence:
        print(f"  recall@1 0.95 over all positive sets needs {need:,} of the {evidence:,} queries "
              f"with evidence found first:\n  {need / evidence:.3f} of them (ours "
              f"{hits_with / evidence:.3f}), keeping the {hits_without:,} found without")
    elif n:
        print("  recall@1 0.95 over all positive sets is out of a name matcher's reach: too few "
              "queries have evidence")

    # anchors
    if not args.anchor_sample:
        print("\n  anchors not run (--anchor-sample 0)")
        store.close()
        tmp.cleanup()
        return
    from nomenklatura.matching import get_algorithm

    algorithms = {name: get_algorithm(name) for name in ANCHOR_THRESHOLDS}
    rows_out = []
    totals: dict[str, Quality] = {}
    for name, m, cases in sets:
        subset = cases[: args.anchor_sample]
        mine = ours(m, subset, name)
        theirs = anchors(store, m, subset, name, algorithms, scopes.get(id(m), Scope()))
        for label, q in [("ours", mine), *theirs.items()]:
            rows_out.append([name, label, f"{q.n:,}", *q.row()])
            if name.startswith("(a')"):  # a subset of (a): counted there
                continue
            total = totals.setdefault(label, Quality("all"))
            total.n += q.n
            total.seconds += q.seconds
            if not name.startswith(("(d)", "(e)")):
                total.hits += q.hits
                total.over += q.over
                total.over_right += q.over_right
                total.extra["positives"] = total.extra.get("positives", 0) + q.n
            else:
                total.false_match += q.false_match
                total.extra["negatives"] = total.extra.get("negatives", 0) + q.n
    for label, q in totals.items():
        pos = q.extra.get("positives", 0)
        neg = q.extra.get("negatives", 0)
        rows_out.append(["all sets", label, f"{q.n:,}",
                         f"{q.hits / pos:.3f}" if pos else "-",
                         f"{q.over_right / q.over:.3f}" if q.over else "-",
                         f"{q.false_match / neg:.3f}" if neg else "-",
                         f"{q.n / q.seconds:,.0f}"])
    table("ANCHORS (same queries, same candidates from our index; q/s = scoring per CPU-second, "
          "one core; anchor thresholds: logic-v2 0.70, ofac 0.85)",
          ["set", "algorithm", "queries", "recall@1", "precision", "false-match rate", "q/s"],
          rows_out)
    ours_qps = speed["rows"] / speed["total_s"]
    logic = totals["logic-v2"]
    logic_qps = logic.n / logic.seconds
    print(f"\n  end-to-end throughput vs logic-v2 scoring alone: {ours_qps:,.0f} / "
          f"{logic_qps:,.0f} = {ours_qps / logic_qps:.0f}x (per core: "
          f"{totals['ours'].n / totals['ours'].seconds:,.0f} / {logic_qps:,.0f} = "
          f"{totals['ours'].n / totals['ours'].seconds / logic_qps:.0f}x); target >= 50x")
    store.close()
    tmp.cleanup()


if __name__ == "__main__":
    main()
