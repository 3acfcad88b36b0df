// shortest_paths: Every shortest path between two entities, up to eight steps.
// Paths run over relations between entities in either direction (never through a programme or
// a country node), each step with its relationship type and the sources stating it.
// @param from_id string "vessel:IMO9179842" canonical id of the first entity
// @param to_id string "us_ofac_sdn:37061" canonical id of the second entity
MATCH (a:Entity {id: $from_id})
WITH a
MATCH (b:Entity {id: $to_id})
WHERE a <> b
MATCH path = allShortestPaths((a)-[*..8]-(b))
WHERE all(n IN nodes(path) WHERE n:Entity)
RETURN length(path) AS hops, [n IN nodes(path) | n.caption] AS names,
       [n IN nodes(path) | n.id] AS ids, [r IN relationships(path) | type(r)] AS relations,
       [r IN relationships(path) | r.source] AS stated_by
ORDER BY hops
