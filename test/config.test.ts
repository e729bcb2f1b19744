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
  });

  it("uses PostgreSQL when DATABASE_URL is set, with demo data off unless asked", () => {
    const url = "postgres://postgres@127.0.0.1:5432/test";
    expect(loadConfig({ DATABASE_URL: url }, NOW)).toMatchObject({
      database: { kind: "postgres", url },
      demoData: false,
    });
    expect(loadConfig({ DATABASE_URL: url, DEMO_DATA: "on" }, NOW).demoData).toBe(true);
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
        WECOM_TOKEN: "t",
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
});
