// The per-form coverage table of docs/DIFF-TEST.md, between its BEGIN/END markers.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { formLists, type DiffReport } from "./harness.ts";
import { INVALID_FORM } from "./forms.ts";

const DOC = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "docs", "DIFF-TEST.md");
const BEGIN = "<!-- BEGIN COVERAGE (npm run test:diff -- --docs) -->";
const END = "<!-- END COVERAGE -->";

export async function writeCoverageDoc(r?: DiffReport): Promise<string> {
  const { all } = await formLists();
  const rows = [...all, INVALID_FORM].map((f) => {
    const t = r?.byForm.get(f.name);
    const res = t ? `${t.cases} cases, ${t.failed} failed${t.unimplemented ? ` (${t.unimplemented} unimplemented)` : ""}` : "";
    return `| ${f.name} | ${f.family || "—"} | ${f.covered ? "yes" : "no"} | ${f.note} | ${res} |`;
  });
  const table = [
    r ? `Last run: ${r.passed + r.failed} cases, expected results from ${r.source}.` : "",
    "",
    "| form (iced Code) | family (src/decode/forms) | generated | compared / why not | last run |",
    "|---|---|---|---|---|",
    ...rows,
  ].join("\n");
  const doc = readFileSync(DOC, "utf8");
  const a = doc.indexOf(BEGIN), b = doc.indexOf(END);
  if (a < 0 || b < 0) throw new Error(`${DOC} lacks the coverage markers`);
  writeFileSync(DOC, doc.slice(0, a + BEGIN.length) + "\n" + table + "\n" + doc.slice(b));
  return DOC;
}
