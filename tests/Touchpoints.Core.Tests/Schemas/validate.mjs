// Validates JSON documents against a JSON Schema (draft 2020-12) with Ajv, for the schema contract tests.
// Usage: node validate.mjs <schema.json> <document.json>...
// Prints one JSON array to stdout: [{ "file": "...", "valid": true|false, "errors": [{ "path", "keyword", "message" }] }].
// Exit code 0 when every document was checked (valid or not); 2 when the schema or a document cannot be read or compiled.
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const [schemaPath, ...files] = process.argv.slice(2);
if (!schemaPath) {
  console.error("usage: node validate.mjs <schema.json> <document.json>...");
  process.exit(2);
}

let validate;
try {
  // strict: unknown keywords or formats and other schema mistakes are errors, not silent no-ops; union types ("string" or null) are intended.
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  validate = ajv.compile(JSON.parse(readFileSync(schemaPath, "utf8")));
} catch (e) {
  console.error(`cannot compile ${schemaPath}: ${e.message}`);
  process.exit(2);
}

const results = [];
for (const file of files) {
  let document;
  try {
    document = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    console.error(`cannot read ${file}: ${e.message}`);
    process.exit(2);
  }
  const valid = validate(document);
  const errors = (validate.errors ?? []).map(e => ({ path: e.instancePath || "/", keyword: e.keyword, message: e.message }));
  results.push({ file, valid, errors });
}
process.stdout.write(JSON.stringify(results));
