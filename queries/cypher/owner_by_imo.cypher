// owner_by_imo: Who owns a vessel, by IMO number.
// Every party with a relationship to the vessel (owner, operator, manager, linked), with the
// relationship's role and the sources stating it, and the programmes each party is listed under.
// @param imo string "9179842" IMO ship number, seven digits, without the "IMO" prefix
MATCH (v:Vessel)
WHERE $imo IN v.imoNumber
OPTIONAL MATCH (p:Entity)-[r]->(v)
OPTIONAL MATCH (p)-[:SANCTIONED_UNDER]->(prog:Program)
WITH v, p, r, collect(DISTINCT prog.id) AS party_programs
RETURN v.id AS vessel_id, v.caption AS vessel, type(r) AS relation, r.role AS role,
       p.id AS party_id, p.caption AS party, p.schema AS party_schema,
       r.source AS stated_by, party_programs
ORDER BY vessel_id, relation, party
