// Validates an AsyncAPI document with the AsyncAPI project's own parser (schema and
// spectral rules). Prints every diagnostic as one JSON array on stdout; exits 1 when
// any is an error, 2 when the file cannot be read. Usage: node validate.mjs FILE
import { readFile } from "node:fs/promises";
import { Parser } from "@asyncapi/parser";

const file = process.argv[2];
let text;
try {
  text = await readFile(file, "utf8");
} catch (error) {
  console.error(`cannot read ${file}: ${error.message}`);
  process.exit(2);
}
const { document, diagnostics } = await new Parser().parse(text, { source: file });
const severities = ["error", "warning", "information", "hint"];
console.log(JSON.stringify(diagnostics.map((d) => ({
  severity: severities[d.severity] ?? String(d.severity),
  code: d.code,
  path: d.path.join("/"),
  message: d.message,
}))));
process.exit(document && !diagnostics.some((d) => d.severity === 0) ? 0 : 1);
