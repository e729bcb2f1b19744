/**
 * Every setting comes from the environment and is validated here, once. A bad value stops
 * start-up with one message that names every bad variable and why, never its value.
 */
import { BlockList, isIP } from "node:net";
import { resolve } from "node:path";
import cron from "node-cron";
import { z } from "zod";
import { type Season, type SeasonOverrides, seasonFor } from "./domain/calendar.ts";
import type { Indicator } from "./domain/indicators.ts";
import { REMINDER_DEFAULTS, type ReminderSettings } from "./domain/reminderSettings.ts";
import { DEFAULT_TARGETS, type TargetDefault } from "./domain/targets.ts";
import { isLocale, type Locale, translator } from "./i18n.ts";

/** Reason codes; each has a text under `config.why.<code>` in the locales. */
type Why =
  | "port"
  | "url"
  | "postgresUrl"
  | "timezone"
  | "locale"
  | "boolean"
  | "secretToken"
  | "aesKey"
  | "nonEmpty"
  | "integer"
  | "year"
  | "wecomPartial"
  | "webhookSecret"
  | "logLevel"
  | "botToken"
  | "seasonCalendar"
  | "cron"
  | "secretKey"
  | "secretKeyRequired"
  | "wecomToken"
  | "hosts"
  | "proxies"
  | "hours"
  | "days"
  | "perMinute"
  | "targets"
  | "wecomBotPartial"
  | "wsUrl"
  | "reminderHours"
  | "quietHours";

const why = (code: Why) => ({ message: code });

/** Unset and empty variables are the same thing. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess(
    (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
    schema.optional(),
  );

const httpUrl = z.url({ protocol: /^https?$/, ...why("url") });
const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\/\S+$/, why("postgresUrl"))
  .refine((v) => URL.canParse(v), why("postgresUrl"));
const booleanFlag = z
  .string()
  .transform((v) => v.trim().toLowerCase())
  .refine((v) => ["true", "false", "1", "0", "on", "off", "yes", "no"].includes(v), why("boolean"))
  .transform((v) => ["true", "1", "on", "yes"].includes(v));
const timezone = z.string().refine((v) => {
  try {
    new Intl.DateTimeFormat("en", { timeZone: v });
    return true;
  } catch {
    return false;
  }
}, why("timezone"));
const nonEmpty = z.string().trim().min(1, why("nonEmpty"));
/** Minute-precision expressions only: catch-up on start walks back minute by minute. */
const cronExpression = z
  .string()
  .trim()
  .refine((v) => v.split(/\s+/).length === 5 && cron.validate(v), why("cron"));
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
/** 32 bytes as hex, as `openssl rand -hex 32` prints them. */
const hexKey = z
  .string()
  .trim()
  .regex(/^[0-9a-fA-F]{64}$/, why("secretKey"));
/** A whole number within bounds, for limits and durations. */
const bounded = (min: number, max: number, code: Why) =>
  z.coerce.number(why(code)).int(why(code)).min(min, why(code)).max(max, why(code));
const list = (v: string) =>
  v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
/** Host names (or addresses, IPv6 in brackets) the web chat answers to, without ports. */
const hostList = z
  .string()
  .transform((v) => list(v).map((h) => h.toLowerCase()))
  .refine(
    (hosts) =>
      hosts.length > 0 &&
      hosts.every((h) => /^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)$/.test(h)),
    why("hosts"),
  );
/** Addresses or CIDR ranges of the reverse proxies whose X-Forwarded-For is believed. */
const proxyList = z
  .string()
  .transform(list)
  .refine((entries) => entries.every((e) => parseProxy(e) !== null), why("proxies"));

function parseProxy(
  entry: string,
): { address: string; prefix: number; family: "ipv4" | "ipv6" } | null {
  const [address = "", bits] = entry.split("/");
  const version = isIP(address);
  if (version === 0) return null;
  const max = version === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (
    !Number.isInteger(prefix) ||
    prefix < 0 ||
    prefix > max ||
    (bits !== undefined && !/^\d+$/.test(bits))
  )
    return null;
  return { address, prefix, family: version === 4 ? "ipv4" : "ipv6" };
}

/** The trusted proxies as a BlockList (checks IPv4-mapped IPv6 addresses too). */
export function trustedProxyList(entries: readonly string[]): BlockList {
  const blocks = new BlockList();
  for (const entry of entries) {
    const parsed = parseProxy(entry);
    if (parsed) blocks.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return blocks;
}
/** Per-year calendar overrides, e.g. {"2026": {"wrapUpStart": "2026-10-08"}}. */
const seasonCalendar = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", ...why("seasonCalendar") });
      return z.NEVER;
    }
  })
  .pipe(
    z.record(
      z.string().regex(/^\d{4}$/, why("seasonCalendar")),
      z
        .object({
          conversionDate: day,
          applicationEnd: day,
          reviewStart: day,
          reviewEnd: day,
          wrapUpStart: day,
          target: day,
          retentionFrom: day,
          autoReturnDays: z.number().int().min(1).max(365),
        })
        .partial()
        .strict(),
      why("seasonCalendar"),
    ),
  );

/**
 * §5 default targets, "fq:100:08-31,sx:95:10-31,xs:95:10-31": indicator, whole percent, and the
 * day ("MM-DD") of the graduation year. Set, it replaces the guide's list.
 */
const targetEntry = z
  .string()
  .regex(/^(fq|sx|xs|dw):(100|[1-9]\d?):(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, why("targets"))
  .transform((entry) => {
    const [indicator, percent, monthDay] = entry.split(":") as [Indicator, string, string];
    return { indicator, percent: Number(percent), monthDay };
  });
const targetList = z
  .string()
  .transform((v) => list(v.replace(/\s+/g, "")))
  .pipe(z.array(targetEntry, why("targets")).min(1, why("targets")));
/** Hours after the R27 clock started: "72,168", each 1–2400, ascending. */
const hourList = z
  .string()
  .transform((v) => v.split(",").map((h) => Number(h.trim())))
  .refine(
    (hs) =>
      hs.length > 0 &&
      hs.every((h, i) => Number.isInteger(h) && h >= 1 && h <= 2400 && (i === 0 || h > hs[i - 1]!)),
    why("reminderHours"),
  );

/** "22-8": no reminder is queued from 22:00 until 08:00 (local hours, 0–23; equal: none). */
const quietHours = z
  .string()
  .regex(/^\d{1,2}-\d{1,2}$/, why("quietHours"))
  .transform((v) => v.split("-").map(Number) as [number, number])
  .refine(([from, to]) => from <= 23 && to <= 23, why("quietHours"));

const envSchema = z.object({
  PORT: optional(
    z.coerce.number(why("port")).int(why("port")).min(1, why("port")).max(65535, why("port")),
  ),
  HOST: optional(nonEmpty),
  DATA_DIR: optional(nonEmpty),
  DATABASE_URL: optional(postgresUrl),
  TZ_NAME: optional(timezone),
  DEFAULT_LOCALE: optional(z.string().refine(isLocale, why("locale"))),
  DEMO_DATA: optional(booleanFlag),
  GRADUATION_YEAR: optional(
    z.coerce.number(why("year")).int(why("year")).min(2000, why("year")).max(2100, why("year")),
  ),
  SEASON_CALENDAR: optional(seasonCalendar),
  TARGETS: optional(targetList),
  SCHEDULE_SWEEP: optional(cronExpression),
  SCHEDULE_CONVERSION: optional(cronExpression),
  SCHEDULE_REMINDERS: optional(cronExpression),
  SCHEDULE_SNAPSHOT: optional(cronExpression),
  SCHEDULE_DIGEST: optional(cronExpression),
  SCHEDULE_HOUSEKEEPING: optional(cronExpression),
  STAGE_REMINDER_HOURS: optional(hourList),
  ESCALATION_HOURS: optional(bounded(1, 2400, "reminderHours")),
  REVIEW_REMINDER_DAYS: optional(bounded(0, 30, "days")),
  QUIET_HOURS: optional(quietHours),
  LOG_LEVEL: optional(
    z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], why("logLevel")),
  ),
  TELEGRAM_BOT_TOKEN: optional(z.string().regex(/^\d+:[A-Za-z0-9_-]{20,}$/, why("botToken"))),
  TELEGRAM_API_ROOT: optional(httpUrl),
  TELEGRAM_WEBHOOK_URL: optional(httpUrl),
  // Telegram allows 1–256 characters; fewer than 16 would be guessable.
  TELEGRAM_WEBHOOK_SECRET: optional(
    z.string().regex(/^[A-Za-z0-9_-]{16,256}$/, why("secretToken")),
  ),
  WECOM_CORP_ID: optional(nonEmpty),
  WECOM_AGENT_ID: optional(
    z.coerce.number(why("integer")).int(why("integer")).positive(why("integer")),
  ),
  WECOM_SECRET: optional(nonEmpty),
  // The console's Token: 3–32 letters and digits (its "random" button makes 32).
  WECOM_TOKEN: optional(z.string().regex(/^[A-Za-z0-9]{3,32}$/, why("wecomToken"))),
  WECOM_ENCODING_AES_KEY: optional(z.string().regex(/^[A-Za-z0-9]{43}$/, why("aesKey"))),
  WECOM_API_ROOT: optional(httpUrl),
  WECOM_BOT_ID: optional(z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, why("nonEmpty"))),
  WECOM_BOT_SECRET: optional(nonEmpty),
  WECOM_BOT_WS_URL: optional(z.string().regex(/^wss?:\/\/[^\s]+$/, why("wsUrl"))),
  SECRET_KEY: optional(hexKey),
  SECRET_KEY_PREVIOUS: optional(hexKey),
  WEBCHAT: optional(booleanFlag),
  PUBLIC_HOSTS: optional(hostList),
  WEBCHAT_URL: optional(httpUrl),
  TRUSTED_PROXIES: optional(proxyList),
  WEBCHAT_SESSION_IDLE_HOURS: optional(bounded(1, 24 * 30, "hours")),
  WEBCHAT_SESSION_MAX_DAYS: optional(bounded(1, 90, "days")),
  RATE_LIMIT_PER_MINUTE: optional(bounded(1, 1_000_000, "perMinute")),
  RATE_LIMIT_ADDRESS_PER_MINUTE: optional(bounded(1, 1_000_000, "perMinute")),
  RATE_LIMIT_READS_PER_MINUTE: optional(bounded(1, 1_000_000, "perMinute")),
});

const WECOM_REQUIRED = [
  "WECOM_CORP_ID",
  "WECOM_AGENT_ID",
  "WECOM_SECRET",
  "WECOM_TOKEN",
  "WECOM_ENCODING_AES_KEY",
] as const;

/** Rules across variables, checked on the raw values so they are reported with field errors. */
function crossCheck(env: NodeJS.ProcessEnv): { name: string; code: Why }[] {
  const isSet = (name: string) => (env[name] ?? "").trim() !== "";
  const problems: { name: string; code: Why }[] = [];
  // Every copy of the app must seal with the same key: none can make one of its own.
  if (postgresUrl.safeParse(env.DATABASE_URL?.trim()).success && !isSet("SECRET_KEY")) {
    problems.push({ name: "SECRET_KEY", code: "secretKeyRequired" });
  }
  if (isSet("TELEGRAM_WEBHOOK_URL") && !isSet("TELEGRAM_WEBHOOK_SECRET")) {
    problems.push({ name: "TELEGRAM_WEBHOOK_SECRET", code: "webhookSecret" });
  }
  const wecomSet = WECOM_REQUIRED.filter(isSet);
  if (wecomSet.length > 0 && wecomSet.length < WECOM_REQUIRED.length) {
    for (const name of WECOM_REQUIRED.filter((k) => !isSet(k))) {
      problems.push({ name, code: "wecomPartial" });
    }
  }
  if (isSet("WECOM_BOT_ID") !== isSet("WECOM_BOT_SECRET")) {
    problems.push({
      name: isSet("WECOM_BOT_ID") ? "WECOM_BOT_SECRET" : "WECOM_BOT_ID",
      code: "wecomBotPartial",
    });
  }
  return problems;
}

/** The AI bot's lease: renewed every third of it, taken over this long after its holder died. */
export const WECOM_BOT_LEASE_MS = 10_000;

/** The season every part of the app works on (app, CLIs): one reading of the settings. */
export function configuredSeason(config: Config): Season {
  return seasonFor(
    config.graduationYear,
    config.timezone,
    config.seasonOverrides,
    config.targetDefaults,
    config.reminders,
  );
}

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  database: { kind: "postgres"; url: string } | { kind: "pglite"; dataDir: string };
  timezone: string;
  defaultLocale: Locale;
  demoData: boolean;
  graduationYear: number;
  /** Per-year changes to the season calendar (SPEC §4); see `seasonFor`. */
  seasonOverrides: SeasonOverrides;
  /** §5 targets every region has unless a committee sets stricter ones (TARGETS). */
  targetDefaults: TargetDefault[];
  /** Cron expressions of the jobs (src/jobs), in `timezone`. */
  schedules: Schedules;
  reminders: ReminderSettings;
  logLevel: string;
  /**
   * The master key (hex) of src/db/sealing.ts; null on the embedded database without
   * SECRET_KEY (a key file in `dataDir` then). `previous` during a key rotation.
   */
  secretKey: { current: string | null; previous: string | null };
  webchat: WebChatSettings;
  limits: RateSettings;
  telegram?: {
    token: string;
    apiRoot?: string;
    webhookUrl?: string;
    webhookSecret?: string;
  };
  wecom?: {
    corpId: string;
    agentId: number;
    secret: string;
    token: string;
    encodingAesKey: string;
    apiRoot: string;
  };
  /** The WeCom AI bot's long connection (智能机器人), off unless its id and secret are set. */
  wecomBot?: {
    botId: string;
    secret: string;
    wsUrl: string;
    leaseTtlMs: number;
  };
}

export interface WebChatSettings {
  /** WEBCHAT=off: no page and no API (only Telegram / WeCom). */
  enabled: boolean;
  /** Host names the page and API answer to (DNS rebinding). */
  publicHosts: string[];
  /**
   * The page's public address (WEBCHAT_URL), where printed login links point; unset: this
   * machine's own port.
   */
  publicUrl?: string;
  /** Proxies whose X-Forwarded-For names the client. */
  trustedProxies: string[];
  sessionIdleMs: number;
  sessionMaxMs: number;
}

/** The per-minute request budgets of src/services/rateLimits.ts. */
export interface RateSettings {
  /** One person's chat inputs, on every channel. */
  perPersonPerMinute: number;
  /** One person's other web chat requests (polls of every open tab, who-am-I, language). */
  readsPerPersonPerMinute: number;
  /** One client address's web chat requests (not Telegram / WeCom: those are signed). */
  perAddressPerMinute: number;
}

export const WEBCHAT_DEFAULTS: WebChatSettings = {
  enabled: true,
  publicHosts: ["localhost", "127.0.0.1", "[::1]"],
  trustedProxies: [],
  sessionIdleMs: 12 * 3600_000,
  sessionMaxMs: 7 * 86_400_000,
};

/**
 * A person types or presses at most about once a second. A page polls every 3 s and after each
 * input, and a person may keep several tabs open (a phone and a desk): reads get room for ten.
 */
export const RATE_DEFAULTS: RateSettings = {
  perPersonPerMinute: 60,
  readsPerPersonPerMinute: 600,
  perAddressPerMinute: 1200,
};

export interface Schedules {
  /** R27 auto-return sweep and the warnings two days before it. */
  sweep: string;
  /** R7 graduate-organization conversion. */
  conversion: string;
  /** R14, R15 retention reminders. */
  reminders: string;
  /** The daily indicator snapshot (§5). */
  snapshot: string;
  /** The daily digests (§6). */
  digest: string;
  /** Pruning old update keys and button tokens. */
  housekeeping: string;
}

export class ConfigError extends Error {
  constructor(
    readonly problems: { name: string; why: string }[],
    message: string,
  ) {
    super(message);
    this.name = "ConfigError";
  }
}

/** The year in the given time zone: the default graduation season is this year's. */
function yearIn(timezone: string, now: Date): number {
  return Number(new Intl.DateTimeFormat("en", { timeZone: timezone, year: "numeric" }).format(now));
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, now = new Date()): Config {
  const parsed = envSchema.safeParse(env);
  const problems = [
    ...(parsed.success
      ? []
      : parsed.error.issues.map((i) => ({
          name: String(i.path[0] ?? ""),
          code: i.message as Why,
        }))),
    ...crossCheck(env),
  ];
  if (!parsed.success || problems.length > 0) {
    const locale = isLocale(env.DEFAULT_LOCALE) ? env.DEFAULT_LOCALE : "zh-CN";
    const t = translator(locale);
    const seen = new Set<string>();
    const named: { name: string; why: string }[] = [];
    for (const { name, code } of problems) {
      if (seen.has(name)) continue;
      seen.add(name);
      named.push({ name, why: t(`config.why.${code}`) });
    }
    const lines = named.map((p) => t("config.problem", p)).join("\n");
    throw new ConfigError(named, t("config.invalid", { problems: lines }));
  }
  const e = parsed.data;
  const dataDir = resolve(e.DATA_DIR ?? "./data");
  const timezoneName = e.TZ_NAME ?? "Asia/Shanghai";
  const database: Config["database"] = e.DATABASE_URL
    ? { kind: "postgres", url: e.DATABASE_URL }
    : { kind: "pglite", dataDir: resolve(dataDir, "pglite") };
  return {
    port: e.PORT ?? 3000,
    host: e.HOST ?? "0.0.0.0",
    dataDir,
    database,
    timezone: timezoneName,
    defaultLocale: (e.DEFAULT_LOCALE as Locale | undefined) ?? "zh-CN",
    demoData: e.DEMO_DATA ?? database.kind === "pglite",
    graduationYear: e.GRADUATION_YEAR ?? yearIn(timezoneName, now),
    seasonOverrides: e.SEASON_CALENDAR ?? {},
    targetDefaults: e.TARGETS ?? [...DEFAULT_TARGETS],
    schedules: {
      sweep: e.SCHEDULE_SWEEP ?? "5 * * * *",
      conversion: e.SCHEDULE_CONVERSION ?? "10 0 * * *",
      reminders: e.SCHEDULE_REMINDERS ?? "0 9 * * *",
      snapshot: e.SCHEDULE_SNAPSHOT ?? "30 0 * * *",
      digest: e.SCHEDULE_DIGEST ?? "30 8 * * *",
      housekeeping: e.SCHEDULE_HOUSEKEEPING ?? "40 3 * * *",
    },
    reminders: {
      stageHours: e.STAGE_REMINDER_HOURS ?? REMINDER_DEFAULTS.stageHours,
      escalationHours: e.ESCALATION_HOURS ?? REMINDER_DEFAULTS.escalationHours,
      reviewLastDays: e.REVIEW_REMINDER_DAYS ?? REMINDER_DEFAULTS.reviewLastDays,
      quietHours: e.QUIET_HOURS ?? REMINDER_DEFAULTS.quietHours,
    },
    logLevel: e.LOG_LEVEL ?? "info",
    secretKey: { current: e.SECRET_KEY ?? null, previous: e.SECRET_KEY_PREVIOUS ?? null },
    webchat: {
      enabled: e.WEBCHAT ?? WEBCHAT_DEFAULTS.enabled,
      publicHosts: e.PUBLIC_HOSTS ?? WEBCHAT_DEFAULTS.publicHosts,
      ...(e.WEBCHAT_URL ? { publicUrl: e.WEBCHAT_URL } : {}),
      trustedProxies: e.TRUSTED_PROXIES ?? WEBCHAT_DEFAULTS.trustedProxies,
      sessionIdleMs: e.WEBCHAT_SESSION_IDLE_HOURS
        ? e.WEBCHAT_SESSION_IDLE_HOURS * 3600_000
        : WEBCHAT_DEFAULTS.sessionIdleMs,
      sessionMaxMs: e.WEBCHAT_SESSION_MAX_DAYS
        ? e.WEBCHAT_SESSION_MAX_DAYS * 86_400_000
        : WEBCHAT_DEFAULTS.sessionMaxMs,
    },
    limits: {
      perPersonPerMinute: e.RATE_LIMIT_PER_MINUTE ?? RATE_DEFAULTS.perPersonPerMinute,
      perAddressPerMinute: e.RATE_LIMIT_ADDRESS_PER_MINUTE ?? RATE_DEFAULTS.perAddressPerMinute,
      readsPerPersonPerMinute:
        e.RATE_LIMIT_READS_PER_MINUTE ?? RATE_DEFAULTS.readsPerPersonPerMinute,
    },
    ...(e.TELEGRAM_BOT_TOKEN
      ? {
          telegram: {
            token: e.TELEGRAM_BOT_TOKEN,
            ...(e.TELEGRAM_API_ROOT ? { apiRoot: e.TELEGRAM_API_ROOT } : {}),
            ...(e.TELEGRAM_WEBHOOK_URL ? { webhookUrl: e.TELEGRAM_WEBHOOK_URL } : {}),
            ...(e.TELEGRAM_WEBHOOK_SECRET ? { webhookSecret: e.TELEGRAM_WEBHOOK_SECRET } : {}),
          },
        }
      : {}),
    ...(e.WECOM_CORP_ID &&
    e.WECOM_AGENT_ID &&
    e.WECOM_SECRET &&
    e.WECOM_TOKEN &&
    e.WECOM_ENCODING_AES_KEY
      ? {
          wecom: {
            corpId: e.WECOM_CORP_ID,
            agentId: e.WECOM_AGENT_ID,
            secret: e.WECOM_SECRET,
            token: e.WECOM_TOKEN,
            encodingAesKey: e.WECOM_ENCODING_AES_KEY,
            apiRoot: e.WECOM_API_ROOT ?? "https://qyapi.weixin.qq.com",
          },
        }
      : {}),
    ...(e.WECOM_BOT_ID && e.WECOM_BOT_SECRET
      ? {
          wecomBot: {
            botId: e.WECOM_BOT_ID,
            secret: e.WECOM_BOT_SECRET,
            wsUrl: e.WECOM_BOT_WS_URL ?? "wss://openws.work.weixin.qq.com",
            leaseTtlMs: WECOM_BOT_LEASE_MS,
          },
        }
      : {}),
  };
}
