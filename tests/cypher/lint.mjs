// Lints Cypher statements with Neo4j's own parser and semantic analyser
// (@neo4j-cypher/language-support, lintCypherQuery), for the Python test suite.
//
// stdin:  {"schema": {"labels": [...], "relationshipTypes": [...], "propertyKeys": [...]},
//          "statements": [{"id": "...", "text": "...", "parameters": {...}}]}
// stdout: [{"id": "...", "diagnostics": [{"severity": 1, "message": "...", "line": 0,
//          "character": 0}]}]
//
// Built-in functions and procedures are checked against the catalogue of a real Neo4j 5 that
// the package ships for its own tests (testData.mockSchema); the version is pinned exactly in
// package.json, so the path is stable. A missing catalogue is an error, never a silent pass.
import { readFileSync } from 'node:fs';
import { lintCypherQuery } from '@neo4j-cypher/language-support';
import { testData } from './node_modules/@neo4j-cypher/language-support/dist/esm/project/language-support/src/tests/testData.js';

const catalogue = testData?.mockSchema;
if (!catalogue?.functions?.['CYPHER 5'] || !catalogue?.procedures?.['CYPHER 5']) {
  console.error('lint.mjs: the function and procedure catalogue is missing from the package');
  process.exit(2);
}

const input = JSON.parse(readFileSync(0, 'utf8'));
const out = input.statements.map((statement) => {
  const dbSchema = {
    ...input.schema,
    functions: catalogue.functions,
    procedures: catalogue.procedures,
    parameters: statement.parameters ?? {},
  };
  const { diagnostics } = lintCypherQuery(statement.text, dbSchema);
  return {
    id: statement.id,
    diagnostics: diagnostics.map((d) => ({
      severity: d.severity,
      message: d.message,
      line: d.range.start.line,
      character: d.range.start.character,
    })),
  };
});
process.stdout.write(JSON.stringify(out));
