"""Resolution compares overlong names on their bounded forms (issue 13): a record's names,
tokens and phonetic keys, and the explanation of a pair's score, stay the size of a real
name's however long the name a source gives. The names are made up."""

from __future__ import annotations

import pytest

from graph.model import Schema
from graph.normalize import MAX_NAME_CHARS, MAX_NAME_WORDS, MAX_WORD_CHARS
from graph.resolution.records import MatchRecord
from graph.resolution.scoring import score_pair

LONG = 100_000
OVERLONG = {"one word": ("EXAMPLEWORD" * (LONG // 11 + 1))[:LONG],
            "many words": " ".join(f"EXAMPLE{i:05d}" for i in range(LONG // 12))[:LONG]}


@pytest.mark.parametrize("name", OVERLONG.values(), ids=OVERLONG)
@pytest.mark.parametrize("schema", [Schema.COMPANY, Schema.PERSON, Schema.VESSEL])
def test_a_record_of_an_overlong_name_keeps_its_bounded_form(schema: Schema,
                                                             name: str) -> None:
    a, b = (MatchRecord(f"{source}:1", source, n, schema, {"name": [name]})
            for n, source in enumerate(("example_a", "example_b"), start=1))
    for record in (a, b):
        [norm] = record.names
        assert len(norm) <= MAX_NAME_CHARS and len(norm.split()) <= MAX_NAME_WORDS
        assert len(record.tokens) <= MAX_NAME_WORDS
        assert max(len(t) for t in record.tokens) <= MAX_WORD_CHARS
        assert all(len(p) <= MAX_NAME_CHARS for p in record.phonetic)
    score = score_pair(a, b)
    [feature] = [f for f in score.features if f.name == "name"]
    assert feature.weight > 0 and len(feature.detail) < 3 * MAX_NAME_CHARS
