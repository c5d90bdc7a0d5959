// Writes schema.json from the resource specs (`npm run gen`). test/unit/spec/schema.test.ts
// fails when the committed file differs from what this would write.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderSchema } from "../provider/spec/render";

const root = join(__dirname, "..", "..");
writeFileSync(join(root, "schema.json"), renderSchema());
console.log("wrote schema.json");
