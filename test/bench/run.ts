/**
 * Benchmarks: `npm run bench`, or `npm run bench -- <key> ...` for some of them (keys:
 * indicators, operations, webhook, imports, scale, delivery, memory, season). Each suite prints its own table.
 */
// The tests' sealing key: the scenes seal ID numbers as the app does.
import "../helpers/secretKey.ts";
import { deliveryBench } from "./delivery.ts";
import { importsBench } from "./imports.ts";
import { indicatorsBench } from "./indicators.ts";
import { memoryBench } from "./memory.ts";
import { operationsBench } from "./operations.ts";
import { scaleBench } from "./scale.ts";
import { seasonBench } from "./season.ts";
import { webhookBench } from "./webhook.ts";

const suites: { key: string; name: string; run: () => Promise<void> }[] = [
  { key: "indicators", ...indicatorsBench },
  operationsBench,
  webhookBench,
  importsBench,
  scaleBench,
  deliveryBench,
  memoryBench,
  seasonBench,
];

// Options (`--graduates 10000`) belong to their suite: only the other words choose suites.
const args = process.argv.slice(2);
const wanted = args.filter((a, i) => !a.startsWith("--") && !args[i - 1]?.startsWith("--"));
const chosen = wanted.length > 0 ? suites.filter((s) => wanted.includes(s.key)) : suites;
if (chosen.length === 0) {
  process.stdout.write(`no benchmarks match ${wanted.join(", ")}\n`);
}
for (const suite of chosen) {
  process.stdout.write(`\n== ${suite.name} ==\n`);
  await suite.run();
}
