// Build the graph view's front end: js/src/sigma_view.js with sigma.js, graphology and @sigma/node-border
// bundled into one minified ESM file, sim/viz/static/sigma_view.js (shipped in the wheel: no CDN), and the
// licences of every bundled package into sim/viz/static/sigma_view.LICENSES.txt.
//
//   cd js && npm ci && npm run build
import { build } from "esbuild";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "sim", "viz", "static");

const result = await build({
  entryPoints: [join(here, "src", "sigma_view.js")],
  outfile: join(out, "sigma_view.js"),
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2020",
  legalComments: "none", // the licences go to sigma_view.LICENSES.txt, whole
  metafile: true,
  banner: { js: "// giftsim graph view (js/src/sigma_view.js) bundled with sigma.js, graphology and "
    + "@sigma/node-border (MIT); licences in sigma_view.LICENSES.txt" },
});

const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (m) packages.set(m[1], join(here, "node_modules", m[1]));
}
const parts = [...packages.entries()].sort().map(([name, dir]) => {
  const meta = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  if (!file) throw new Error(`${name} ships no licence file: its licence text must be added by hand`);
  const text = readFileSync(join(dir, file), "utf8").trim();
  return `${meta.name} ${meta.version} (${meta.license})\n${"-".repeat(60)}\n${text}\n`;
});
writeFileSync(join(out, "sigma_view.LICENSES.txt"),
  "Third-party code bundled in sigma_view.js (built by js/build.mjs from js/package-lock.json):\n\n"
  + parts.join("\n"));
console.log(`sigma_view.js: ${packages.size} packages bundled: ${[...packages.keys()].join(", ")}`);
