import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: fileURLToPath(new URL("..", import.meta.url)),
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/bench/**", "node_modules/**"],
    globalSetup: ["test/helpers/globalSetup.ts"],
    setupFiles: ["test/helpers/secretKey.ts"],
    pool: "forks",
    // vitest's default on 2 cores is one worker; database tests wait on PostgreSQL half the
    // time, so two files at once keep both cores busy.
    maxWorkers: 2,
    testTimeout: 60_000,
    // The browser test polls the page for what the bot said: on a loaded CI box a reply can take
    // seconds, and a poll that succeeds returns at once.
    expect: { poll: { timeout: 10_000 } },
    hookTimeout: 120_000,
    reporters: ["default"],
  },
});
