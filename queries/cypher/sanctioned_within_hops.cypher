// sanctioned_within_hops: Sanctioned entities within N hops of an entity, nearest first.
// Walks relations between entities in either direction, at most $hops steps (1 to 4; the
// pattern's bound is four because a variable-length bound cannot be a parameter). The start
// itself is listed at 0 hops when it is sanctioned.
// @param id string "us_ofac_sdn:37065" canonical id of the entity to start from
// @param hops integer 2 how many steps out to look, 1 to 4
MATCH (start:Entity {id: $id})
MATCH path = (start)-[*0..4]-(s:Entity)
WHERE length(path) <= $hops
  AND all(n IN nodes(path) WHERE n:Entity)
  AND EXISTS { (s)-[:SANCTIONED_UNDER]->(:Program) }
WITH s, min(length(path)) AS hops
MATCH (s)-[:SANCTIONED_UNDER]->(p:Program)
RETURN s.id AS id, s.caption AS name, s.schema AS schema, hops,
       collect(DISTINCT p.id) AS programs
ORDER BY hops, name
