// shortest_paths: Every shortest path between two entities, up to six steps.
// Paths run over relations between entities in either direction (never through a programme or
// a country node), each step with its relationship type, whether it is evidence, and the sources
// stating it. Six steps is the bound `sanctions-graph path` uses too.
// @param from_id string "vessel:IMO9179842" canonical id of the first entity
// @param to_id string "vessel:IMO8517839" canonical id of the second entity
// @index entity_id
MATCH (a:Entity {id: $from_id})
WITH a
MATCH (b:Entity {id: $to_id})
WHERE a <> b
MATCH path = allShortestPaths((a)-[:OWNS|OPERATES|MANAGES|DIRECTS|LINKED_TO|SHIPPED_VIA|TRANSPORTED|SUPPLIED*..6]-(b))
RETURN length(path) AS hops, [n IN nodes(path) | n.caption] AS names,
       [n IN nodes(path) | n.id] AS ids, [r IN relationships(path) | type(r)] AS relations,
       [r IN relationships(path) | r.evidence IS NOT NULL] AS evidence,
       [r IN relationships(path) | r.source] AS stated_by
ORDER BY hops
