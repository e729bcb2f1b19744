import { seasonFor } from "../../src/domain/calendar.ts";

/** The season tests run in: 2026, Asia/Shanghai, the guide's dates. */
export const TEST_SEASON = seasonFor(2026, "Asia/Shanghai");
