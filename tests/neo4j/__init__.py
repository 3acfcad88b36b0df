"""The Neo4j test server: a Maven module (pom.xml, src/) and its Python launcher (server.py)."""
