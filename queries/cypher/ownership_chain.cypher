// ownership_chain: The chain of owners and controllers above an entity, up to six steps.
// Every path from an entity above down to this one, over relations between entities only
// (ownership, operation, management, directorship, links, and analysts' claims, each step marked
// when it is evidence), nearest first, with whether the entity at the top is sanctioned or a
// state actor.
// @param id string "vessel:IMO9179842" canonical id of the vessel or company to start from
// @index entity_id
MATCH (start:Entity {id: $id})
MATCH path = (top:Entity)-[:OWNS|OPERATES|MANAGES|DIRECTS|LINKED_TO|SHIPPED_VIA|TRANSPORTED|SUPPLIED*1..6]->(start)
WHERE top <> start
RETURN length(path) AS depth, top.id AS top_id, top.caption AS top,
       [n IN reverse(nodes(path)) | n.caption] AS chain_upward,
       [r IN reverse(relationships(path)) | type(r)] AS relations,
       [r IN reverse(relationships(path)) | r.evidence IS NOT NULL] AS evidence,
       EXISTS { (top)-[:SANCTIONED_UNDER]->(:Program) } AS top_sanctioned,
       top:StateActor AS top_state_actor
ORDER BY depth, top
