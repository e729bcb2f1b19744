/** Benchmarks: `npm run bench`. Each suite prints its own table. */
import { indicatorsBench } from "./indicators.ts";

const suites: { name: string; run: () => Promise<void> }[] = [indicatorsBench];

if (suites.length === 0) {
  process.stdout.write("no benchmarks yet\n");
}
for (const suite of suites) {
  process.stdout.write(`\n== ${suite.name} ==\n`);
  await suite.run();
}
