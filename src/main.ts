/** The process: configuration, logging, start-up and graceful shutdown. */
import { type RunningApp, startApp } from "./app.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { DataDirLockedError } from "./db/pidLock.ts";
import { UnknownKeyError } from "./db/sealing.ts";
import { KeyFileError } from "./db/secretKey.ts";
import { isLocale, translator } from "./i18n.ts";
import { createLogger, scrub } from "./logger.ts";

const EXIT_CONFIG = 2;
const EXIT_FAILED = 1;

async function main() {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw error;
  }
  const log = createLogger(config.logLevel);
  const t = translator(config.defaultLocale);
  // The signal handlers come first: a SIGTERM during start-up (an orchestrator that gave up, a
  // test that saw /healthz turn 200) waits for the start to settle and then stops cleanly,
  // instead of Node's default of dying at once with 143.
  let app: RunningApp | null = null;
  let starting: Promise<unknown> = Promise.resolve();
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info(t("startup.stopping", { signal }));
    const force = setTimeout(() => process.exit(EXIT_FAILED), 10_000);
    force.unref();
    await starting.catch(() => {});
    await app?.stop();
    log.info(t("startup.stopped"));
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  try {
    const started = startApp(config, log);
    starting = started;
    app = await started;
  } catch (error) {
    if (error instanceof DataDirLockedError) {
      process.stderr.write(`${t("startup.dataDirLocked", { dir: error.dir, pid: error.pid })}\n`);
    } else if (error instanceof UnknownKeyError) {
      process.stderr.write(`${t("startup.wrongKey", { keyId: error.keyId })}\n`);
    } else if (error instanceof KeyFileError) {
      process.stderr.write(`${t("startup.badKeyFile", { path: error.path })}\n`);
    } else {
      const message = error instanceof Error ? error.message : String(error);
      log.error({ err: error }, t("startup.failed", { message }));
    }
    process.exit(EXIT_FAILED);
  }
}

await main().catch((error: unknown) => {
  const locale = isLocale(process.env.DEFAULT_LOCALE) ? process.env.DEFAULT_LOCALE : "zh-CN";
  const message = translator(locale)("startup.failed", {
    message: error instanceof Error ? error.message : String(error),
  });
  process.stderr.write(`${scrub(message)}\n`);
  process.exit(EXIT_FAILED);
});
