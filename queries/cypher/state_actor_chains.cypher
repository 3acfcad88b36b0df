// state_actor_chains: Vessels whose chain of owners and controllers reaches a state actor.
// A state actor is a public body or an entity with a state topic (government, state-owned
// enterprise, military): the `StateActor` label. The shortest chain per vessel and state actor,
// up to six steps, over relations between entities only, each step marked when it is an
// analyst's claim (evidence) rather than an official listing.
// @param limit integer 50 how many chains to list at most
MATCH path = ANY SHORTEST (s:StateActor)-[:OWNS|OPERATES|MANAGES|DIRECTS|LINKED_TO|SHIPPED_VIA|TRANSPORTED|SUPPLIED]->{1,6}(v:Vessel)
RETURN v.id AS vessel_id, v.caption AS vessel, v.imo AS imo, s.id AS state_actor_id,
       s.caption AS state_actor, length(path) AS hops,
       [n IN reverse(nodes(path)) | n.caption] AS chain_upward,
       [r IN reverse(relationships(path)) | type(r)] AS relations,
       [r IN reverse(relationships(path)) | r.evidence IS NOT NULL] AS evidence
ORDER BY hops, vessel
LIMIT $limit
