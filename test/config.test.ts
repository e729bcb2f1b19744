import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.ts";

const NOW = new Date("2026-11-27T04:00:00Z");

function problemsOf(env: NodeJS.ProcessEnv) {
  try {
    loadConfig(env, NOW);
  } catch (error) {
    if (error instanceof ConfigError) return error;
  }
  throw new Error("expected a ConfigError");
}

describe("configuration from the environment", () => {
  it("has working defaults: embedded PGlite in ./data, port 3000, demo data on", () => {
    const config = loadConfig({}, NOW);
    expect(config.port).toBe(3000);
    expect(config.database.kind).toBe("pglite");
    expect(config.database).toMatchObject({ dataDir: expect.stringMatching(/data\/pglite$/) });
    expect(config.timezone).toBe("Asia/Shanghai");
    expect(config.defaultLocale).toBe("zh-CN");
    expect(config.demoData).toBe(true);
    expect(config.graduationYear).toBe(2026);
    expect(config.telegram).toBeUndefined();
    expect(config.wecom).toBeUndefined();
    expect(config.wecomBot).toBeUndefined();
  });

  it("uses PostgreSQL when DATABASE_URL is set, with demo data off unless asked", () => {
    const url = "postgres://postgres@127.0.0.1:5432/test";
    const SECRET_KEY = "ab".repeat(32);
    expect(loadConfig({ DATABASE_URL: url, SECRET_KEY }, NOW)).toMatchObject({
      database: { kind: "postgres", url },
      demoData: false,
      secretKey: { current: SECRET_KEY, previous: null },
    });
    expect(loadConfig({ DATABASE_URL: url, SECRET_KEY, DEMO_DATA: "on" }, NOW).demoData).toBe(true);
  });

  it("§5 targets: the guide's defaults, replaced by TARGETS; a bad list is named with why", () => {
    expect(loadConfig({}, NOW).targetDefaults).toEqual([
      { indicator: "fq", percent: 100, monthDay: "08-31" },
      { indicator: "sx", percent: 95, monthDay: "10-31" },
      { indicator: "xs", percent: 95, monthDay: "10-31" },
    ]);
    expect(loadConfig({ TARGETS: "fq:90:09-15, dw:50:10-31" }, NOW).targetDefaults).toEqual([
      { indicator: "fq", percent: 90, monthDay: "09-15" },
      { indicator: "dw", percent: 50, monthDay: "10-31" },
    ]);
    for (const bad of ["fq:101:08-31", "zz:90:08-31", "fq:90:8-31", "fq:90"]) {
      const error = problemsOf({ TARGETS: bad, DEFAULT_LOCALE: "en" });
      expect(error.problems).toEqual([
        { name: "TARGETS", why: expect.stringContaining("fq:100:08-31,sx:95:10-31") },
      ]);
    }
  });

  it("treats empty variables as unset", () => {
    expect(loadConfig({ PORT: "", DATABASE_URL: " " }, NOW).port).toBe(3000);
  });

  it("names every bad variable in one message", () => {
    const error = problemsOf({
      PORT: "abc",
      TZ_NAME: "Mars/Olympus",
      DEFAULT_LOCALE: "fr",
      DEMO_DATA: "maybe",
    });
    expect(error.problems.map((p) => p.name).sort()).toEqual([
      "DEFAULT_LOCALE",
      "DEMO_DATA",
      "PORT",
      "TZ_NAME",
    ]);
    expect(error.message).toContain("PORT：须为 1–65535 之间的整数");
  });

  it("speaks the configured locale when it is valid", () => {
    const error = problemsOf({ PORT: "70000", DEFAULT_LOCALE: "en" });
    expect(error.message).toContain("PORT: must be a whole number from 1 to 65535");
  });

  it("checks rules across variables together with field errors", () => {
    const error = problemsOf({
      PORT: "0",
      TELEGRAM_BOT_TOKEN: "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdef",
      TELEGRAM_WEBHOOK_URL: "https://bot.example.org/telegram/webhook",
      WECOM_CORP_ID: "ww123",
    });
    expect(error.problems.map((p) => p.name)).toEqual([
      "PORT",
      "TELEGRAM_WEBHOOK_SECRET",
      "WECOM_AGENT_ID",
      "WECOM_SECRET",
      "WECOM_TOKEN",
      "WECOM_ENCODING_AES_KEY",
    ]);
  });

  it("never prints a secret's value", () => {
    const secret = "999999:too-short";
    const aes = "short-secret-aes";
    const error = problemsOf({
      TELEGRAM_BOT_TOKEN: secret,
      TELEGRAM_WEBHOOK_SECRET: "has spaces and secrets",
      WECOM_CORP_ID: "ww1",
      WECOM_AGENT_ID: "1000002",
      WECOM_SECRET: "wecom-secret-value",
      WECOM_TOKEN: "tok",
      WECOM_ENCODING_AES_KEY: aes,
      DATABASE_URL: "mysql://user:hunter2@db/x",
    });
    expect(error.problems.map((p) => p.name).sort()).toEqual([
      "DATABASE_URL",
      "TELEGRAM_BOT_TOKEN",
      "TELEGRAM_WEBHOOK_SECRET",
      "WECOM_ENCODING_AES_KEY",
    ]);
    for (const value of [secret, "has spaces", aes, "hunter2", "wecom-secret-value"]) {
      expect(error.message).not.toContain(value);
    }
  });

  it("reads complete Telegram and WeCom settings", () => {
    const config = loadConfig(
      {
        TELEGRAM_BOT_TOKEN: "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdef",
        TELEGRAM_API_ROOT: "http://127.0.0.1:8081",
        WECOM_CORP_ID: "ww1436e0e65a779aee",
        WECOM_AGENT_ID: "1000002",
        WECOM_SECRET: "s",
        WECOM_TOKEN: "QDG6eK",
        WECOM_ENCODING_AES_KEY: "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt",
      },
      NOW,
    );
    expect(config.telegram).toEqual({
      token: "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdef",
      apiRoot: "http://127.0.0.1:8081",
    });
    expect(config.wecom).toMatchObject({
      agentId: 1000002,
      apiRoot: "https://qyapi.weixin.qq.com",
    });
  });

  it("R4 requires SECRET_KEY (64 hex characters) with PostgreSQL, naming it; PGlite makes a key file instead", () => {
    const url = "postgres://postgres@127.0.0.1:5432/test";
    for (const SECRET_KEY of [undefined, "", "abc123", "g".repeat(64), "ab".repeat(31)]) {
      const error = problemsOf({
        DATABASE_URL: url,
        ...(SECRET_KEY === undefined ? {} : { SECRET_KEY }),
      });
      expect(error.problems.map((p) => p.name)).toEqual(["SECRET_KEY"]);
      expect(error.message).toContain("openssl rand -hex 32");
    }
    expect(loadConfig({}, NOW).secretKey).toEqual({ current: null, previous: null });
    expect(problemsOf({ SECRET_KEY_PREVIOUS: "short" }).problems.map((p) => p.name)).toEqual([
      "SECRET_KEY_PREVIOUS",
    ]);
  });

  it("refuses a webhook secret under 16 characters and a WeCom token not of the console's shape", () => {
    const error = problemsOf({
      TELEGRAM_BOT_TOKEN: "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdef",
      TELEGRAM_WEBHOOK_URL: "https://bot.example.org/telegram/webhook",
      TELEGRAM_WEBHOOK_SECRET: "fifteen-chars-x",
      WECOM_CORP_ID: "ww1436e0e65a779aee",
      WECOM_AGENT_ID: "1000002",
      WECOM_SECRET: "s",
      WECOM_TOKEN: "has-a-dash",
      WECOM_ENCODING_AES_KEY: "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt",
    });
    expect(error.problems.map((p) => p.name).sort()).toEqual([
      "TELEGRAM_WEBHOOK_SECRET",
      "WECOM_TOKEN",
    ]);
    expect(error.message).toContain("16–256");
    for (const token of ["ab", "x".repeat(33), "with space"]) {
      const why = problemsOf({ WECOM_TOKEN: token }).problems.find((p) => p.name === "WECOM_TOKEN");
      expect(why?.why).toContain("3–32");
    }
  });

  it("reads the web chat's settings: on by default, local host names, no trusted proxy", () => {
    expect(loadConfig({}, NOW).webchat).toEqual({
      enabled: true,
      publicHosts: ["localhost", "127.0.0.1", "[::1]"],
      trustedProxies: [],
      sessionIdleMs: 12 * 3600_000,
      sessionMaxMs: 7 * 86_400_000,
    });
    expect(
      loadConfig(
        {
          WEBCHAT: "off",
          PUBLIC_HOSTS: "Zhtj.Example.org, localhost",
          TRUSTED_PROXIES: "127.0.0.1, 10.0.0.0/8, ::1",
          WEBCHAT_SESSION_IDLE_HOURS: "2",
          WEBCHAT_SESSION_MAX_DAYS: "1",
        },
        NOW,
      ).webchat,
    ).toEqual({
      enabled: false,
      publicHosts: ["zhtj.example.org", "localhost"],
      trustedProxies: ["127.0.0.1", "10.0.0.0/8", "::1"],
      sessionIdleMs: 2 * 3600_000,
      sessionMaxMs: 86_400_000,
    });
    const error = problemsOf({
      PUBLIC_HOSTS: "bad host!",
      TRUSTED_PROXIES: "10.0.0.0/33",
      WEBCHAT_SESSION_IDLE_HOURS: "0",
      RATE_LIMIT_PER_MINUTE: "x",
    });
    expect(error.problems.map((p) => p.name).sort()).toEqual([
      "PUBLIC_HOSTS",
      "RATE_LIMIT_PER_MINUTE",
      "TRUSTED_PROXIES",
      "WEBCHAT_SESSION_IDLE_HOURS",
    ]);
  });

  it("reads the WeCom AI bot's id and secret together, off unless both are set", () => {
    const config = loadConfig(
      { WECOM_BOT_ID: "aibVGv7I0aBcD", WECOM_BOT_SECRET: "bot-secret-value" },
      NOW,
    );
    expect(config.wecomBot).toEqual({
      botId: "aibVGv7I0aBcD",
      secret: "bot-secret-value",
      wsUrl: "wss://openws.work.weixin.qq.com",
      leaseTtlMs: 10_000,
    });
    const half = problemsOf({ WECOM_BOT_ID: "aibVGv7I0aBcD" });
    expect(half.problems.map((p) => p.name)).toEqual(["WECOM_BOT_SECRET"]);
    const badUrl = problemsOf({
      WECOM_BOT_ID: "aibVGv7I0aBcD",
      WECOM_BOT_SECRET: "bot-secret-value",
      WECOM_BOT_WS_URL: "https://openws.work.weixin.qq.com",
    });
    expect(badUrl.problems.map((p) => p.name)).toEqual(["WECOM_BOT_WS_URL"]);
    expect(badUrl.message).not.toContain("bot-secret-value");
  });
});
