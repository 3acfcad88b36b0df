// state_actor_chains: Vessels whose chain of owners and controllers reaches a state actor.
// A state actor is a public body or an entity with a state topic (government, state-owned
// enterprise, military): the `StateActor` label. The shortest chain per vessel and state actor,
// up to six steps, over relations between entities only.
// @param limit integer 50 how many chains to list at most
MATCH path = (s:StateActor)-[*1..6]->(v:Vessel)
WHERE all(n IN nodes(path) WHERE n:Entity)
WITH v, s, path
ORDER BY length(path)
WITH v, s, collect(path)[0] AS path
RETURN v.id AS vessel_id, v.caption AS vessel, v.imoNumber AS imo, s.id AS state_actor_id,
       s.caption AS state_actor, length(path) AS hops,
       [n IN reverse(nodes(path)) | n.caption] AS chain_upward,
       [r IN reverse(relationships(path)) | type(r)] AS relations
ORDER BY hops, vessel
LIMIT $limit
