// owner_by_name: Who owns a vessel, by name, through the full-text index on every name.
// The five best-scoring vessels for the name (Lucene query syntax), each with every party that
// has a relationship to it, whether that is evidence, and the sources stating it.
// @param name string "ANGARA" the ship's name or part of it
// @index entity_names
CALL db.index.fulltext.queryNodes('entity_names', $name) YIELD node, score
WITH node AS v, score
WHERE v:Vessel
WITH v, score
ORDER BY score DESC
LIMIT 5
OPTIONAL MATCH (p:Entity)-[r:OWNS|OPERATES|MANAGES|DIRECTS|LINKED_TO|SHIPPED_VIA|TRANSPORTED|SUPPLIED]->(v)
WHERE p <> v
RETURN v.id AS vessel_id, v.caption AS vessel, v.imo AS imo, round(score, 3) AS score,
       type(r) AS relation, r.role AS role, r.evidence IS NOT NULL AS evidence,
       p.id AS party_id, p.caption AS party, r.source AS stated_by
ORDER BY score DESC, vessel_id, relation, party
