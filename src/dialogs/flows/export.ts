/**
 * /export (issue 18): the admin picks one of the exports they may have here, and the file is
 * sent into the chat (Telegram document, web chat download link, WeCom file message). The
 * to-enter list comes with the way to tick transfers off as entered in 智慧团建, one by one or
 * the whole file; the 通报 asks for the rate to rank by and comes with the digest's chart.
 * What may be had, and how ID numbers show, is the exports service's to decide (R4).
 */
import { z } from "zod";
import type { Indicator } from "../../domain/indicators.ts";
import { INDICATORS } from "../../domain/indicators.ts";
import {
  adminViewer,
  allowedKinds,
  buildExport,
  type ChatExport,
  countToEnter,
  EXPORT_KINDS,
  type ExportKind,
  type ExportViewer,
  markEntered,
  toEnterPage,
} from "../../services/exports/index.ts";
import type { RegionRates } from "../../services/rates.ts";
import { ratesChartPng } from "../chart.ts";
import { type AdminContext, defineAction, isAdminContext } from "../defineAction.ts";
import { barText } from "../rateLines.ts";
import type { DialogRegistry } from "../registry.ts";
import { translate } from "../render.ts";
import { menuButtonRow, raw, reply, stepButton, text } from "../replies.ts";
import { stepFlow } from "../steps.ts";
import type { Button, DialogContext, GlobalActionResult, Json, Reply, Text } from "../types.ts";
import { ended } from "./admin/common.ts";
import { type BranchPickStep, type PickData, pickSteps } from "./admin/pick.ts";

const X = (key: string, params?: Text["params"]) => text(`export:chat.${key}`, params);

/** Transfers per page of the one-by-one ticking list. */
export const TICK_PAGE = 8;

export interface ExportOptions {
  /** The web chat's public address: the binding-code sheet's login links point there. */
  webChatUrl: string;
}

type ExportData = PickData & { kind?: ExportKind };

const isKind = (value: Json): value is ExportKind =>
  typeof value === "string" && (EXPORT_KINDS as readonly string[]).includes(value);
const isIndicator = (value: Json): value is Indicator =>
  typeof value === "string" && (INDICATORS as readonly string[]).includes(value);

async function viewerOf(ctx: DialogContext): Promise<ExportViewer | null> {
  if (ctx.identity.adminId === null) return null;
  return adminViewer(ctx.db, ctx.identity.adminId, !ctx.isGroup);
}

/** The chart of the ranked child regions (SX and XS bars), as the digest draws it. */
async function rankingChart(
  ctx: DialogContext,
  viewer: ExportViewer,
  by: Indicator,
  ranked: RegionRates[],
) {
  if (ranked.length === 0) return undefined;
  const tr = translate(ctx.locale);
  const caption = X("rankingCaption", {
    org: raw(viewer.org.name),
    by: text(`export:indicator.${by}`),
  });
  const chart = await ratesChartPng(
    ranked.map((region) => ({
      label: region.org.name,
      sx: { value: region.sx.value, text: tr(barText("sx", region)) },
      xs: { value: region.xs.value, text: tr(barText("xs", region)) },
    })),
    { title: tr(caption), sx: tr(text("digest:chart.sx")), xs: tr(text("digest:chart.xs")) },
  );
  const png = Buffer.from(chart).toString("base64");
  return { text: caption, image: { png, alt: caption } } satisfies Reply;
}

/** The file as a reply, with what comes with its kind. */
async function fileReplies(
  ctx: DialogContext,
  viewer: ExportViewer,
  kind: ExportKind,
  made: Extract<ChatExport, { ok: true }>,
  by: Indicator,
): Promise<Reply[]> {
  const lines: Text[] = [
    X("sent", {
      kind: text(`export:kind.${kind}`),
      name: raw(made.file.name),
      count: made.file.rows,
    }),
  ];
  if (kind === "toEnter" || kind === "pending" || kind === "history")
    lines.push(X(viewer.fullIds ? "sentIds" : "sentMasked"));
  if (kind === "codes") lines.push(X("codesWarning", { count: made.file.rows }));
  const buttons: Button[][] = [];
  if (kind === "toEnter") {
    lines.push(X("toEnterHint"));
    const ids = made.applicationIds ?? [];
    buttons.push(
      [tickAllAction.button(X("markAll", { count: ids.length }), { ids })],
      [tickListAction.button(X("markOneByOne"), { page: 0 })],
    );
  }
  buttons.push(menuButtonRow());
  const document = {
    name: made.file.name,
    mime: made.file.mime,
    base64: made.file.data.toString("base64"),
  };
  const chart =
    kind === "ranking" ? await rankingChart(ctx, viewer, by, made.ranking ?? []) : undefined;
  return [...(chart ? [chart] : []), { ...reply(lines, buttons), document }];
}

async function exportNow(
  ctx: DialogContext,
  options: ExportOptions,
  kind: ExportKind,
  extra: { by?: Indicator; branchId?: number } = {},
): Promise<{ done: Reply[] }> {
  const viewer = await viewerOf(ctx);
  if (!viewer) return ended(X("refused.unknown_admin"));
  if (kind === "toEnter" && (await countToEnter(ctx.db, viewer.org.path)) === 0)
    return ended(X("toEnterEmpty"));
  const by = extra.by ?? "xs";
  const made = await buildExport(
    ctx.db,
    viewer,
    {
      kind,
      format: "xlsx",
      locale: ctx.locale,
      now: ctx.now,
      season: ctx.season,
      by,
      ...(extra.branchId !== undefined ? { branchId: extra.branchId } : {}),
      webChatUrl: options.webChatUrl,
    },
    !ctx.isGroup,
  );
  if (!made.ok) return ended(X(`refused.${made.reason}`));
  return { done: await fileReplies(ctx, viewer, kind, made, by) };
}

export function exportFlow(options: ExportOptions) {
  return stepFlow<ExportData, Json, "kind" | "rate" | BranchPickStep>({
    name: "export",
    requires: "admin",
    first: "kind",
    initial: () => ({}),
    steps: {
      kind: {
        ask: async (ctx) => {
          const viewer = await viewerOf(ctx);
          const kinds = viewer ? allowedKinds(viewer, !ctx.isGroup) : [];
          if (!viewer || kinds.length === 0) return reply(X("none"));
          const count = kinds.includes("toEnter") ? await countToEnter(ctx.db, viewer.org.path) : 0;
          return reply(
            X("choose"),
            kinds.map((k) => [stepButton(X(`option.${k}`, { count }), k)]),
          );
        },
        action: async (ctx, data, value) => {
          if (!isKind(value)) return { invalid: text("chat:nav.useButtons") };
          if (value === "ranking") return { next: "rate", data: { ...data, kind: value } };
          if (value !== "codes") return exportNow(ctx, options, value);
          const viewer = await viewerOf(ctx);
          if (viewer?.org.kind === "branch")
            return exportNow(ctx, options, "codes", { branchId: viewer.org.id });
          return { next: "branchQuery", data: { ...data, kind: value } };
        },
      },
      rate: {
        ask: () =>
          reply(
            X("chooseRate"),
            INDICATORS.map((i) => [stepButton(text(`export:indicator.${i}`), i)]),
          ),
        action: (ctx, _data, value) =>
          isIndicator(value)
            ? exportNow(ctx, options, "ranking", { by: value })
            : { invalid: text("chat:nav.useButtons") },
      },
      ...pickSteps<ExportData, never>({
        afterBranch: (ctx, data) =>
          exportNow(ctx, options, "codes", { branchId: data.branchId ?? 0 }),
      }),
    },
  });
}

// Ticking off: global buttons, so whoever presses is checked again (markEntered re-checks the
// list of the presser's own organization).

/** Ticking is an admin's; anyone else pressing is told so (not "may not decide"). */
const adminOnly =
  <A>(handler: (ctx: AdminContext, args: A) => Promise<GlobalActionResult> | GlobalActionResult) =>
  (ctx: DialogContext, args: A) =>
    isAdminContext(ctx) ? handler(ctx, args) : { replies: [reply(X("notAdmin"))] };

const idsArgs = z.object({ ids: z.array(z.number().int()).max(1_000_000) });
const pageArgs = z.object({ page: z.number().int().min(0) });
const oneArgs = z.object({ id: z.number().int(), page: z.number().int().min(0) });

async function markedReply(ctx: AdminContext, ids: number[]): Promise<Reply[]> {
  const marked = await markEntered(ctx.db, {
    adminId: ctx.identity.adminId,
    applicationIds: ids,
    now: ctx.now,
  });
  if (!marked.ok) return [reply(X("refused.unknown_admin"))];
  const viewer = await viewerOf(ctx);
  const left = viewer ? await countToEnter(ctx.db, viewer.org.path) : 0;
  const lines = [X("marked", { entered: marked.entered, left })];
  if (marked.skipped > 0) lines.push(X("markedSkipped", { skipped: marked.skipped }));
  return [reply(lines)];
}

/** "The whole file", once confirmed. */
const tickAllConfirmedAction = defineAction(
  "zhtjAllConfirmed",
  idsArgs,
  adminOnly(async (ctx, { ids }) => ({
    replies: (await markedReply(ctx, ids)).map((r) => ({ ...r, buttons: [menuButtonRow()] })),
  })),
);

/** "The whole file": asks once, since it cannot be undone from the chat. */
const tickAllAction = defineAction(
  "zhtjAll",
  idsArgs,
  adminOnly((_ctx, { ids }) => ({
    replies: [
      reply(X("confirmAll", { count: ids.length }), [
        [tickAllConfirmedAction.button(X("confirmYes"), { ids })],
        menuButtonRow(),
      ]),
    ],
  })),
);

/** One page of what is left to enter, a button per transfer. */
async function tickList(ctx: DialogContext, page: number): Promise<Reply> {
  const viewer = await viewerOf(ctx);
  if (!viewer) return reply(X("refused.unknown_admin"));
  const count = await countToEnter(ctx.db, viewer.org.path);
  if (count === 0) return reply(X("toEnterEmpty"), [menuButtonRow()]);
  const pages = Math.max(1, Math.ceil(count / TICK_PAGE));
  const p = Math.min(Math.max(0, page), pages - 1);
  const items = await toEnterPage(ctx.db, viewer.org.path, p * TICK_PAGE, TICK_PAGE);
  const rows: Button[][] = items.map((i) => [
    tickOneAction.button(X("listItem", { id: i.id, name: raw(i.name) }), { id: i.id, page: p }),
  ]);
  const paging: Button[] = [];
  if (p > 0) paging.push(tickListAction.button("chat:picker.previous", { page: p - 1 }));
  if (p < pages - 1) paging.push(tickListAction.button("chat:picker.next", { page: p + 1 }));
  if (paging.length > 0) rows.push(paging);
  rows.push(menuButtonRow());
  return reply(X("listTitle", { page: p + 1, pages, count }), rows);
}

const tickListAction = defineAction(
  "zhtjList",
  pageArgs,
  adminOnly(async (ctx, { page }) => ({ replies: [await tickList(ctx, page)] })),
);

const tickOneAction = defineAction(
  "zhtjOne",
  oneArgs,
  adminOnly(async (ctx, { id, page }) => ({
    replies: [...(await markedReply(ctx, [id])), await tickList(ctx, page)],
  })),
);

export function registerExports(registry: DialogRegistry, options: ExportOptions): DialogRegistry {
  return registry
    .flow(exportFlow(options))
    .command("export", () => ({ replies: [], begin: { flow: "export" } }))
    .action(tickAllAction)
    .action(tickAllConfirmedAction)
    .action(tickListAction)
    .action(tickOneAction);
}
