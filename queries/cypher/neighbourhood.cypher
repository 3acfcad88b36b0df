// neighbourhood: The nodes and relationships within N hops of an entity, for a picture.
// One row per node: the entities within $hops steps over relations between entities, in either
// direction (0 to 6: a quantifier's bound cannot be a parameter, so the pattern allows six and
// the depth is filtered), each at its shortest depth; and the programme and country nodes
// attached to the entities nearer than $hops, one step further out, shown but never walked
// through (one programme joins thousands of listed entities). Each row lists the node's
// relationships to the other nodes of the neighbourhood, with the role and whether it is
// evidence, so every relationship among them comes once, on the row of its start node.
// @param id string "vessel:IMO9179842" canonical id of the entity at the centre
// @param hops integer 2 how many steps out to look, 0 to 6
// @index entity_id
MATCH (center:Entity {id: $id})
MATCH path = (center)-[:OWNS|OPERATES|MANAGES|DIRECTS|LINKED_TO|SHIPPED_VIA|TRANSPORTED|SUPPLIED*0..6]-(e:Entity)
WITH e, min(length(path)) AS depth
WHERE depth <= $hops
OPTIONAL MATCH (e)-->(attached:Program|Country)
WHERE depth < $hops
WITH collect({node: e, depth: depth})
     + collect(CASE WHEN attached IS NOT NULL THEN {node: attached, depth: depth + 1} END)
     AS reached
UNWIND reached AS item
WITH item.node AS n, min(item.depth) AS depth
WITH collect({node: n, depth: depth}) AS found
WITH found, [item IN found | item.node] AS shown
UNWIND found AS item
WITH item.node AS n, item.depth AS depth, shown
OPTIONAL MATCH (n)-[r]->(m)
WHERE m IN shown
WITH n, depth,
     collect(CASE WHEN r IS NOT NULL
                  THEN {type: type(r), role: r.role, evidence: r.evidence IS NOT NULL,
                        target: m.id} END) AS relationships
RETURN n.id AS id, coalesce(n.caption, n.name) AS caption,
       CASE WHEN n:Entity THEN 'Entity' WHEN n:Program THEN 'Program' ELSE 'Country' END AS space,
       labels(n) AS labels, depth, relationships
ORDER BY depth, caption, id
