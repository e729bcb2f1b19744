/**
 * Compiles `src/` to plain JavaScript in `dist/` (same layout, so paths relative to a module —
 * locales, migrations, the web chat's files — resolve alike), for `npm start` to run without
 * tsx's loader, which costs about 47 MB of resident memory for the app's whole life. Run on
 * install and before every start; it does nothing when `dist/` is newer than every source file.
 * esbuild rather than tsc's emit: about 0.3 s instead of 10 s here (the types are checked by
 * `npm run typecheck`, not here).
 */
import { cpSync, existsSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SRC = join(ROOT, "src");
const DIST = join(ROOT, "dist");
/** Written last: its time says when a complete build ended. */
const STAMP = join(DIST, ".built");
/** Only for building, or not code at all. */
const LEFT_OUT = [join(SRC, "cli", "build.ts"), join(SRC, "db", "patches")];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (LEFT_OUT.includes(path)) return [];
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

function upToDate(files: string[]): boolean {
  if (!existsSync(STAMP)) return false;
  const built = statSync(STAMP).mtimeMs;
  return files.every((file) => statSync(file).mtimeMs <= built);
}

async function main(): Promise<void> {
  const files = filesUnder(SRC);
  if (process.argv.includes("--if-stale") && upToDate(files)) return;
  rmSync(DIST, { recursive: true, force: true });
  await build({
    entryPoints: files.filter((f) => f.endsWith(".ts")),
    outdir: DIST,
    outbase: SRC,
    // Bundling only so the plugin below can rewrite each import: every module and package
    // stays external, so each module compiles to one file of its own; the little JSON imported
    // is inlined (esbuild drops the `with { type: "json" }` that Node needs on an external one).
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
    plugins: [
      {
        name: "relative-imports-to-js",
        setup(b) {
          b.onResolve({ filter: /^\.\.?\/.*\.ts$/ }, (args) => ({
            path: args.path.replace(/\.ts$/, ".js"),
            external: true,
          }));
        },
      },
    ],
  });
  // The web chat's static files and the demo data, read at run time.
  for (const file of files.filter((f) => !f.endsWith(".ts"))) {
    cpSync(file, join(DIST, relative(SRC, file)));
  }
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
}

await main();
