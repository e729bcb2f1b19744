/**
 * The key every test process seals with (vitest `setupFiles`), and the one a spawned app gets
 * as SECRET_KEY when it shares a test database.
 */
import { installSecretKeys } from "../../src/db/sealing.ts";

export const TEST_SECRET_KEY = "5e1f0c3a9b7d24e68f1a0b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60";

installSecretKeys({ current: Buffer.from(TEST_SECRET_KEY, "hex") });
