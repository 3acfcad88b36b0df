// shared_manager_fleets: Fleets that share a manager or operator.
// Every party that operates or manages at least $min_vessels vessels, largest fleet first, with
// how many of its vessels are sanctioned and whether the party itself is.
// @param min_vessels integer 2 the smallest fleet to list
// @param limit integer 25 how many parties to list at most
MATCH (m:Entity)-[r:OPERATES|MANAGES]->(v:Vessel)
WITH m, collect(DISTINCT r.role) AS roles, collect(DISTINCT v) AS fleet
WHERE size(fleet) >= $min_vessels
RETURN m.id AS id, m.caption AS party, roles, size(fleet) AS vessels,
       size([x IN fleet WHERE EXISTS { (x)-[:SANCTIONED_UNDER]->(:Program) }]) AS sanctioned_vessels,
       EXISTS { (m)-[:SANCTIONED_UNDER]->(:Program) } AS party_sanctioned,
       [x IN fleet | x.caption][..10] AS some_vessels
ORDER BY vessels DESC, party
LIMIT $limit
