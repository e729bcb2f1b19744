/** The process's resident memory once garbage is collected, for the memory rows of the benches. */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

const gc = (() => {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
})();

/** RSS in MB after three collections half a second apart (freed pages take a moment to go). */
export async function settledRssMb(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 500));
  }
  return process.memoryUsage().rss / 2 ** 20;
}
