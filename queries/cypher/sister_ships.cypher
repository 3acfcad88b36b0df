// sister_ships: The other vessels of a vessel's owners, operators, managers and linked parties.
// For the vessel with this IMO number: every party with a relationship to it, every other
// vessel that party has a relationship to, and the programmes that vessel is listed under.
// @param imo string "9179842" IMO ship number, seven digits, without the "IMO" prefix
// @index vessel_imo
MATCH (v:Vessel {imo: $imo})
MATCH (v)<-[r1:OWNS|OPERATES|MANAGES|DIRECTS|LINKED_TO|SHIPPED_VIA|TRANSPORTED|SUPPLIED]-(p:Entity)-[r2:OWNS|OPERATES|MANAGES|DIRECTS|LINKED_TO|SHIPPED_VIA|TRANSPORTED|SUPPLIED]->(other:Vessel)
WHERE other <> v AND p <> v
OPTIONAL MATCH (other)-[:SANCTIONED_UNDER]->(prog:Program)
RETURN p.id AS party_id, p.caption AS party, type(r1) AS relation_to_vessel,
       type(r2) AS relation_to_other, other.id AS other_id, other.caption AS other_vessel,
       other.imo AS other_imo, collect(DISTINCT prog.id) AS other_programs
ORDER BY party, other_vessel
