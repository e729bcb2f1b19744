/**
 * A Telegram webhook scene for the reliability suite and the webhook benchmark: the hono app as
 * the server runs it, Telegram in webhook mode against the fake Bot API, a group bound to the
 * receiving branch VB with its admin, N pending applications, and one approve press per card.
 */
import { eq, sql } from "drizzle-orm";
import type { Update } from "grammy/types";
import { startTelegram, type TelegramRuntime } from "../../src/channels/telegram/runtime.ts";
import { loadConfig } from "../../src/config.ts";
import type { Database } from "../../src/db/client.ts";
import { chatBindings, chatIdentities, dialogActions, members } from "../../src/db/schema.ts";
import { sealIdNumber } from "../../src/db/sealing.ts";
import { notificationRenderer } from "../../src/dialogs/cards.ts";
import { idCheckChar } from "../../src/domain/idNumber.ts";
import { createHttpApp } from "../../src/http/app.ts";
import { createLogger, type Logger } from "../../src/logger.ts";
import { deliverDue } from "../../src/outbox/deliver.ts";
import { fanOut } from "../../src/outbox/fanOut.ts";
import { refreshOutcomes } from "../../src/services/outcomes.ts";
import { fileApplication } from "../../src/services/transfers.ts";
import { BOT, type FakeBotApi, startFakeBotApi } from "../channels/telegram/fakeBotApi.ts";
import { testEngine } from "../helpers/engine.ts";
import { TEST_SEASON } from "../helpers/season.ts";
import { buildWorld, furtherStudy, YEAR } from "../helpers/world.ts";

/** Valid, distinct ID numbers for many people: the area code counts the thousands. */
export function idNumberOf(i: number): string {
  const first17 = `${140200 + Math.floor(i / 1000)}20040202${String(i % 1000).padStart(3, "0")}`;
  return first17 + idCheckChar(first17);
}

export const TOKEN = `${BOT.id}:AAHfakeTokenForTestsOnly_0123456789`;
export const SECRET = "s3cret-token_for-tests";

/** The Telegram settings of an app copy speaking to the fake Bot API at `apiRoot` by webhook. */
export const webhookSettings = (apiRoot: string) =>
  loadConfig({
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_API_ROOT: apiRoot,
    TELEGRAM_WEBHOOK_URL: "https://bot.example.org/telegram/webhook",
    TELEGRAM_WEBHOOK_SECRET: SECRET,
  }).telegram!;
/** The VB admin's Telegram user and the group bound to VB. */
export const ADMIN_USER = 2002;
export const GROUP = -302;
export const NOW = new Date(`${YEAR}-08-10T02:00:00Z`);

export interface Scene {
  app: ReturnType<typeof createHttpApp>;
  fake: FakeBotApi;
  runtime: TelegramRuntime;
  /** Application ids, in filing order. */
  applications: number[];
  /** One approve press per application, update ids from `firstUpdateId` on. */
  approvals: Update[];
  deliver(): Promise<void>;
  stop(): Promise<void>;
}

export const callbackUpdate = (
  updateId: number,
  data: string,
  messageId: number,
  fromId = ADMIN_USER,
  chatId = GROUP,
): Update =>
  ({
    update_id: updateId,
    callback_query: {
      id: `q${updateId}`,
      from: { id: fromId, is_bot: false, first_name: "admin", username: "admin" },
      chat_instance: "ci",
      data,
      message: {
        message_id: messageId,
        date: 1_786_000_000,
        chat: { id: chatId, type: "group", title: `group${chatId}` },
        from: BOT,
        text: "card",
      },
    },
  }) as Update;

/** Builds the scene; see `delivered`. */
export async function buildScene(
  database: Database,
  options: {
    count: number;
    /** How many applications are filed and carded for real (default: all). */
    delivered?: number;
    firstUpdateId?: number;
    /**
     * Distinct people pressing, each an admin of the deciding committee in their own Telegram
     * account, taking turns (as in a real September), under the real per-person limit. Without
     * it one admin presses everything, with the limit lifted.
     */
    pressers?: number;
    log?: Logger;
  },
): Promise<Scene> {
  const db = database.db;
  const w = await buildWorld(db);
  const fake = await startFakeBotApi();
  // In chunks: one insert of more than about 10,000 rows overflows drizzle's parameter list.
  const people: { id: number }[] = [];
  for (let from = 0; from < options.count; from += 5_000) {
    const chunk = Array.from({ length: Math.min(5_000, options.count - from) }, (_, k) => from + k);
    people.push(
      ...(await db
        .insert(members)
        .values(
          chunk.map((i) => ({
            name: `学生${i}`,
            ...sealIdNumber(idNumberOf(i)),
            branchId: w.org.UB1,
            graduationBranchId: w.org.UB1,
            graduationYear: YEAR,
          })),
        )
        .returning({ id: members.id })),
    );
  }
  // Only the first cards go through the filing service and the outbox; the rest are filed in
  // bulk and get their approve token cloned in SQL (rendering thousands of cards through the
  // fake API would dominate a benchmark's set-up).
  const delivered = Math.min(options.delivered ?? options.count, options.count);
  const applications: number[] = [];
  for (const p of people.slice(0, delivered)) {
    const filed = await fileApplication(db, furtherStudy(p.id, w.org.VB), NOW, TEST_SEASON);
    if (!filed.ok) throw new Error(`filing: ${filed.reason}`);
    applications.push(filed.applicationId);
  }
  const bulk = people.slice(delivered).map((p) => p.id);
  if (bulk.length > 0) {
    const filed = await database.query<{ id: number }>(
      `with filed as (
         insert into applications (member_id, state, stage_since, initiator_kind,
           initiator_member_id, reason, study_type, school_name, school_address, from_org_id,
           to_org_id, deciding_org_id, graduation_year, created_at, updated_at)
         select m, 'pending', $2::timestamptz, 'member', m, 'further_study', 'university',
           '太原工学院', '太原市', $3, $4, $4, $5, $2::timestamptz, $2::timestamptz
         from unnest($1::int[]) with ordinality as t(m, n) order by n
         returning id, member_id)
       , history as (
         insert into application_history (application_id, action, actor_kind, actor_member_id,
           to_state, at)
         select id, 'create', 'member', member_id, 'pending', $2::timestamptz from filed)
       select id from filed order by id`,
      [bulk, NOW.toISOString(), w.org.UB1, w.org.VB, YEAR],
    );
    applications.push(...filed.map((r) => r.id));
    await refreshOutcomes(db, bulk);
  }
  const pressers = Array.from({ length: options.pressers ?? 0 }, (_, i) => ADMIN_USER + 1 + i);
  await db.insert(chatIdentities).values(
    [ADMIN_USER, ...pressers].map((user) => ({
      channel: "telegram",
      externalUserId: String(user),
      adminId: w.admin.VB,
    })),
  );
  await db
    .insert(chatBindings)
    .values({ channel: "telegram", chatId: String(GROUP), orgId: w.org.VB });

  const log = options.log ?? createLogger("silent");
  // One admin presses thousands of cards at one instant: a load scene, not a person (the
  // per-person limit is tested in test/security).
  const engine = testEngine(
    db,
    "zh-CN",
    undefined,
    pressers.length > 0 ? {} : { perPersonPerMinute: 1_000_000 },
  );
  const runtime = startTelegram({
    settings: webhookSettings(fake.url),
    db,
    engine,
    defaultLocale: "zh-CN",
    log,
    now: () => NOW,
    retryMs: 50,
  });
  await runtime.ready;
  const app = createHttpApp(
    { db: database.kind, telegramWebhook: runtime.webhook, telegramSecret: SECRET },
    "zh-CN",
  );
  const deliver = async () => {
    for (;;) {
      await fanOut(db, NOW);
      const report = await deliverDue(db, {
        senders: [runtime.sender],
        render: notificationRenderer(TEST_SEASON),
        now: NOW,
      });
      if (report.sent + report.retried + report.dead === 0) return;
    }
  };
  const held = applications.slice(delivered);
  await deliver();

  const approveToken = new Map<number, { data: string; messageId: number }>();
  const rows = await db
    .select()
    .from(dialogActions)
    .where(eq(dialogActions.chatId, String(GROUP)));
  const messageOf = new Map<string, number>();
  for (const sent of fake.sent(GROUP)) {
    for (const b of (sent.reply_markup?.inline_keyboard ?? []).flat()) {
      messageOf.set(b.callback_data as string, sent.message_id as number);
    }
  }
  let template: (typeof rows)[number] | undefined;
  for (const row of rows) {
    const payload = row.payload as { name?: string; args?: { id?: number } };
    if (payload.name !== "approve" || payload.args?.id === undefined) continue;
    template ??= row;
    approveToken.set(payload.args.id, {
      data: row.token,
      messageId: messageOf.get(row.token) ?? 1,
    });
  }
  if (held.length > 0) {
    if (!template) throw new Error("no approve button was rendered");
    await db.execute(sql`
      insert into dialog_actions (token, channel, chat_id, user_id, state_version, payload)
      select 'bench' || a.id, ${template.channel}, ${template.chatId}, ${template.userId},
             ${template.stateVersion},
             jsonb_set(${JSON.stringify(template.payload)}::jsonb, '{args,id}', to_jsonb(a.id))
      from unnest(${sql.param(held)}::int[]) a(id)`);
    for (const id of held) approveToken.set(id, { data: `bench${id}`, messageId: 1 });
  }
  const first = options.firstUpdateId ?? 1;
  const approvals = applications.map((id, i) => {
    const token = approveToken.get(id);
    if (!token) throw new Error(`no approve button for application ${id}`);
    const from = pressers.length > 0 ? pressers[i % pressers.length] : ADMIN_USER;
    return callbackUpdate(first + i, token.data, token.messageId, from);
  });
  return {
    app,
    fake,
    runtime,
    applications,
    approvals,
    deliver,
    async stop() {
      await runtime.stop();
      await fake.close();
    },
  };
}

export const postUpdate = async (app: Scene["app"], update: Update): Promise<Response> =>
  app.request("/telegram/webhook", {
    method: "POST",
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
    body: JSON.stringify(update),
  });
