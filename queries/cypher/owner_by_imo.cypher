// owner_by_imo: Who owns a vessel, by IMO number.
// Every party with a relationship to the vessel (owner, operator, manager, linked, and what an
// analyst's claim puts on it), with the relationship's role, whether it is evidence rather than
// an official listing, the sources, list versions and records stating it, and the programmes
// each party is listed under.
// @param imo string "9179842" IMO ship number, seven digits, without the "IMO" prefix
// @index vessel_imo
MATCH (v:Vessel {imo: $imo})
OPTIONAL MATCH (p:Entity)-[r:OWNS|OPERATES|MANAGES|DIRECTS|LINKED_TO|SHIPPED_VIA|TRANSPORTED|SUPPLIED]->(v)
WHERE p <> v
OPTIONAL MATCH (p)-[:SANCTIONED_UNDER]->(prog:Program)
WITH v, p, r, collect(DISTINCT prog.id) AS party_programs
RETURN v.id AS vessel_id, v.caption AS vessel, type(r) AS relation, r.role AS role,
       r.evidence IS NOT NULL AS evidence, p.id AS party_id, p.caption AS party,
       p.schema AS party_schema, r.source AS stated_by, r.list_date AS list_dates,
       r.record_id AS records, party_programs
ORDER BY vessel_id, relation, party
