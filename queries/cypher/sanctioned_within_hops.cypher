// sanctioned_within_hops: Sanctioned entities within N hops of an entity, nearest first.
// Walks relations between entities in either direction, at most $hops steps (0 to 6: a
// variable-length bound cannot be a parameter, so the pattern allows six and the distance is
// filtered). Each entity reached once, at its least distance: Neo4j plans the walk as a
// breadth-first search that visits each node once (ANY SHORTEST per reached node took seconds
// from a hub). The start itself is listed at 0 hops when it is sanctioned.
// @param id string "vessel:IMO9179842" canonical id of the entity to start from
// @param hops integer 3 how many steps out to look, 0 to 6
// @index entity_id
MATCH (start:Entity {id: $id})
MATCH path = (start)-[:OWNS|OPERATES|MANAGES|DIRECTS|LINKED_TO|SHIPPED_VIA|TRANSPORTED|SUPPLIED*0..6]-(s:Entity)
WITH s, min(length(path)) AS hops
WHERE hops <= $hops AND EXISTS { (s)-[:SANCTIONED_UNDER]->(:Program) }
MATCH (s)-[:SANCTIONED_UNDER]->(p:Program)
RETURN s.id AS id, s.caption AS name, s.schema AS schema, hops,
       collect(DISTINCT p.id) AS programs
ORDER BY hops, name
