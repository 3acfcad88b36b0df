// ownership_chain: The chain of owners and controllers above an entity, up to six steps.
// Every path from an entity above down to this one, over relations between entities only
// (ownership, operation, management, directorship, links), nearest first, with whether the
// entity at the top is sanctioned or a state actor.
// @param id string "vessel:IMO9179842" canonical id of the vessel or company to start from
MATCH (start:Entity {id: $id})
MATCH path = (top:Entity)-[*1..6]->(start)
WHERE all(n IN nodes(path) WHERE n:Entity)
RETURN length(path) AS depth, top.id AS top_id, top.caption AS top,
       [n IN reverse(nodes(path)) | n.caption] AS chain_upward,
       [r IN reverse(relationships(path)) | type(r)] AS relations,
       EXISTS { (top)-[:SANCTIONED_UNDER]->(:Program) } AS top_sanctioned,
       top:StateActor AS top_state_actor
ORDER BY depth, top
