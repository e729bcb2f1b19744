/**
 * What every attack test needs: the app as the server runs it (web chat, a Telegram webhook
 * route, a WeCom callback), requests from a chosen client address, and a fingerprint of every
 * table to show that a refusal changed nothing.
 */
import type { WebhookHandler } from "../../src/channels/telegram/runtime.ts";
import { WecomCrypto } from "../../src/channels/wecom/crypto.ts";
import type { WecomMessage } from "../../src/channels/wecom/inbound.ts";
import {
  RATE_DEFAULTS,
  type RateSettings,
  WEBCHAT_DEFAULTS,
  type WebChatSettings,
} from "../../src/config.ts";
import type { Database } from "../../src/db/client.ts";
import { createHttpApp, type Readiness } from "../../src/http/app.ts";
import { testEngine } from "../helpers/engine.ts";

export const WEBHOOK_SECRET = "s3cret-token_for-tests";
export const WECOM = {
  token: "callbackToken1",
  encodingAesKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
  corpId: "ww-test-corp",
};

export interface SecurityApp {
  app: ReturnType<typeof createHttpApp>;
  /** Moves the app's clock. */
  at(now: Date): void;
  /** Webhook updates and WeCom messages that got past the edge to be handled. */
  handled: { telegram: number; wecom: WecomMessage[] };
  wecomCrypto: WecomCrypto;
  /** A request from `address` (the socket's peer), as the Node server would see it. */
  from(address: string, path: string, init?: RequestInit): Promise<Response>;
}

export function securityApp(
  database: Database,
  options: {
    demo?: boolean;
    now?: Date;
    settings?: Partial<WebChatSettings>;
    limits?: Partial<RateSettings>;
  } = {},
): SecurityApp {
  let now = options.now ?? new Date("2026-08-10T02:00:00Z");
  const limits = { ...RATE_DEFAULTS, ...options.limits };
  const handled: SecurityApp["handled"] = { telegram: 0, wecom: [] };
  const wecomCrypto = new WecomCrypto(WECOM);
  // The route in front of grammY is what is tested: past it, an update only counts.
  const telegram: WebhookHandler = async (c) => {
    handled.telegram++;
    return c.body(null, 200);
  };
  const readiness: Readiness = {
    db: database.kind,
    web: {
      db: database.db,
      engine: testEngine(database.db, "zh-CN", undefined, {
        perPersonPerMinute: limits.perPersonPerMinute,
      }),
      demo: options.demo ?? true,
      defaultLocale: "zh-CN",
      graduationYear: 2026,
      now: () => now,
    },
    telegramWebhook: () => telegram,
    telegramSecret: WEBHOOK_SECRET,
    wecomCallback: () => ({
      crypto: wecomCrypto,
      accept: async (m) => {
        handled.wecom.push(m);
      },
      now: () => now,
    }),
  };
  const app = createHttpApp(readiness, "zh-CN", {
    webchat: { settings: { ...WEBCHAT_DEFAULTS, ...options.settings }, ...limits },
  });
  return {
    app,
    at: (next) => {
      now = next;
    },
    handled,
    wecomCrypto,
    from: (address, path, init) =>
      Promise.resolve(
        app.request(path, init, { incoming: { socket: { remoteAddress: address } } }),
      ),
  };
}

export const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

/** Row count and a digest of the contents of every table. */
export async function tableDigests(database: Database): Promise<Record<string, string>> {
  const tables = await database.query<{ tablename: string }>(
    "select tablename from pg_tables where schemaname = 'public' order by tablename",
  );
  const out: Record<string, string> = {};
  for (const { tablename } of tables) {
    const [row] = await database.query<{ n: number; d: string | null }>(
      `select count(*)::int as n, md5(string_agg(t::text, '|' order by t::text)) as d
       from "${tablename}" t`,
    );
    out[tablename] = `${row?.n}:${row?.d ?? ""}`;
  }
  return out;
}

/**
 * The tables whose contents differ from `before`, apart from `allowed` (the budgets a refusal
 * spends, the record of a refused lookup): what a refused attack changed.
 */
export async function changedTables(
  database: Database,
  before: Record<string, string>,
  allowed: string[] = [],
): Promise<string[]> {
  const after = await tableDigests(database);
  return Object.keys({ ...before, ...after })
    .filter((t) => before[t] !== after[t] && !allowed.includes(t))
    .sort();
}
