/** The dialog engine as the app builds it, for tests and benchmarks (no vitest inside). */
import type { Db } from "../../src/db/client.ts";
import { DialogEngine, type EngineOptions } from "../../src/dialogs/engine.ts";
import { createRegistry } from "../../src/dialogs/flows/index.ts";
import type { Locale } from "../../src/i18n.ts";
import { TEST_SEASON } from "./season.ts";

/** The dialog engine with the real flows and the test season (and the app's rate limits). */
export function testEngine(
  db: Db,
  defaultLocale: Locale = "en",
  onError?: (error: unknown) => void,
  options: Pick<EngineOptions, "perPersonPerMinute" | "progressEveryMs"> = {},
): DialogEngine {
  return new DialogEngine(db, {
    registry: createRegistry(),
    defaultLocale,
    season: TEST_SEASON,
    onError,
    ...options,
  });
}
