/**
 * Exports (SPEC §7, issue 18): one entry per kind, the same for the chat (a whole file, sent
 * as a document) and the CLI (streamed to disk). Who may have which is decided here once:
 * every admin has the to-enter list, the pending list and the history of their own subtree;
 * the 通报 ranking is a leading organ's; binding codes are issued in a private chat only (a
 * code read in a group could be redeemed by anyone there). ID numbers are full only for a
 * leading organ and, in a chat, only in a private one (R4); the codes sheet always masks them.
 */
import type { Writable } from "node:stream";
import type { Db } from "../../db/client.ts";
import type { Season } from "../../domain/calendar.ts";
import type { Indicator } from "../../domain/indicators.ts";
import { isLeadingOrgan } from "../../domain/organization.ts";
import { canIssueMemberCodes } from "../../domain/permissions.ts";
import type { OrgNode } from "../../domain/tree.ts";
import { type Locale, translator } from "../../i18n.ts";
import { loadAdmin, loadOrg } from "../orgStore.ts";
import type { RegionRates } from "../rates.ts";
import {
  formatWallClock,
  SHEET_MIME,
  type SheetFormat,
  type SheetSpec,
  sheetBuffer,
  writeSheet,
} from "../sheets/write.ts";
import { codesSheet, issueCodeRows } from "./codes.ts";
import { historyRows, historySheet } from "./history.ts";
import { pendingRows, pendingSheet } from "./pending.ts";
import { rankingRows, rankingSheet } from "./ranking.ts";
import { toEnterRows, toEnterSheet } from "./toEnter.ts";
import {
  EXPORT_KINDS,
  type ExportContext,
  type ExportFile,
  type ExportKind,
  type ExportRefusal,
  type ExportViewer,
} from "./types.ts";

export { countToEnter, markEntered, toEnterPage } from "./toEnter.ts";
export { EXPORT_KINDS, type ExportFile, type ExportKind, type ExportRefusal, type ExportViewer };

/** WeCom takes files up to 20 MB; Telegram's bots 50 MB. Bigger exports are the CLI's. */
export const MAX_CHAT_FILE_BYTES = 20 * 1024 * 1024;

/** An admin in a chat, as the exports see them. */
export async function adminViewer(
  db: Db,
  adminId: number,
  privateChat: boolean,
): Promise<ExportViewer | null> {
  const admin = await loadAdmin(db, adminId);
  if (!admin) return null;
  return { org: admin.org, adminId, fullIds: privateChat && isLeadingOrgan(admin.org) };
}

/** The operator's CLI: full ID numbers only when asked for, and only for a leading organ. */
export function operatorViewer(org: OrgNode, fullIds: boolean): ExportViewer {
  return { org, adminId: null, fullIds: fullIds && isLeadingOrgan(org) };
}

/** Why `kind` is not this viewer's to have in this chat, or null when it is. */
export function refusalFor(
  kind: ExportKind,
  viewer: ExportViewer,
  privateChat: boolean,
): ExportRefusal | null {
  if (kind === "ranking" && !isLeadingOrgan(viewer.org)) return "leading_organ_only";
  if (kind === "codes" && (!privateChat || viewer.adminId === null)) return "private_only";
  return null;
}

/** The kinds the viewer may have here, in menu order. */
export function allowedKinds(viewer: ExportViewer, privateChat: boolean): ExportKind[] {
  return EXPORT_KINDS.filter((kind) => refusalFor(kind, viewer, privateChat) === null);
}

export interface ExportRequest {
  kind: ExportKind;
  format: SheetFormat;
  locale: Locale;
  now: Date;
  season: Season;
  /** 通报: the rate worst-first is by. */
  by?: Indicator;
  /** Binding codes: the branch, and the web chat's address the links point to. */
  branchId?: number;
  webChatUrl?: string;
}

interface Prepared {
  // biome-ignore lint/suspicious/noExplicitAny: each kind pairs its own row type with its spec
  spec: SheetSpec<any>;
  rows: AsyncIterable<unknown> | Iterable<unknown>;
  /** The to-enter list: the transfers the file holds, filled in as rows are written. */
  applicationIds?: number[];
  /** 通报: the child regions in the file's order (the chat draws them). */
  ranking?: RegionRates[];
}

async function* tapIds<T extends { id: number }>(rows: AsyncIterable<T>, ids: number[]) {
  for await (const row of rows) {
    ids.push(row.id);
    yield row;
  }
}

async function prepare(
  db: Db,
  viewer: ExportViewer,
  request: ExportRequest,
  privateChat: boolean,
): Promise<Prepared | { refused: ExportRefusal }> {
  const refused = refusalFor(request.kind, viewer, privateChat);
  if (refused) return { refused };
  const ctx: ExportContext = {
    viewer,
    format: request.format,
    locale: request.locale,
    t: translator(request.locale),
    now: request.now,
    season: request.season,
  };
  switch (request.kind) {
    case "toEnter": {
      const applicationIds: number[] = [];
      return {
        spec: toEnterSheet(ctx),
        rows: tapIds(toEnterRows(db, viewer), applicationIds),
        applicationIds,
      };
    }
    case "pending":
      return { spec: pendingSheet(ctx), rows: pendingRows(db, ctx) };
    case "history":
      return { spec: historySheet(ctx), rows: historyRows(db, ctx) };
    case "ranking": {
      const by = request.by ?? "xs";
      const ranked = await rankingRows(db, ctx, by);
      if (!ranked) return { refused: "not_permitted" };
      return { spec: rankingSheet(ctx, by), rows: ranked.rows, ranking: ranked.children };
    }
    case "codes": {
      const branch = await loadOrg(db, request.branchId);
      if (branch?.kind !== "branch") return { refused: "unknown_branch" };
      if (!canIssueMemberCodes(viewer, branch)) return { refused: "not_permitted" };
      const issued = await issueCodeRows(db, {
        adminId: viewer.adminId ?? 0,
        branchId: branch.id,
        now: request.now,
        webChatUrl: request.webChatUrl ?? "http://localhost:3000/",
      });
      if (!issued.ok) {
        const reason = issued.reason === "too_many_codes" ? "too_many_codes" : "not_permitted";
        return { refused: reason };
      }
      return { spec: codesSheet(ctx, branch.name), rows: issued.rows };
    }
  }
}

/** A file name people can keep: kind, organization, day (no path characters). */
export function exportFileName(
  kind: ExportKind,
  org: { name: string },
  request: Pick<ExportRequest, "format" | "locale" | "now" | "season">,
): string {
  const t = translator(request.locale);
  const day = formatWallClock(request.now, request.season.timezone, true);
  const base = `${t(`export:kind.${kind}`)}-${org.name}-${day}`.replace(/[\\/:*?"<>|\s]+/g, "_");
  return `${base}.${request.format}`;
}

export type ChatExport =
  | {
      ok: true;
      file: ExportFile;
      applicationIds?: number[];
      ranking?: RegionRates[];
    }
  | { ok: false; reason: ExportRefusal };

/** The whole file, for a chat. */
export async function buildExport(
  db: Db,
  viewer: ExportViewer,
  request: ExportRequest,
  privateChat: boolean,
): Promise<ChatExport> {
  const prepared = await prepare(db, viewer, request, privateChat);
  if ("refused" in prepared) return { ok: false, reason: prepared.refused };
  let count = 0;
  const counted = async function* () {
    for await (const row of prepared.rows) {
      count++;
      yield row;
    }
  };
  const data = await sheetBuffer(request.format, prepared.spec, counted());
  if (data.length > MAX_CHAT_FILE_BYTES) return { ok: false, reason: "too_large" };
  const branch = request.kind === "codes" ? await loadOrg(db, request.branchId) : undefined;
  return {
    ok: true,
    file: {
      name: exportFileName(request.kind, branch ?? viewer.org, request),
      mime: SHEET_MIME[request.format],
      data,
      rows: count,
    },
    ...(prepared.applicationIds ? { applicationIds: prepared.applicationIds } : {}),
    ...(prepared.ranking ? { ranking: prepared.ranking } : {}),
  };
}

/** Streams the file to `out` (the CLI); returns how many rows it holds. */
export async function streamExport(
  db: Db,
  viewer: ExportViewer,
  request: ExportRequest,
  out: Writable,
): Promise<{ ok: true; rows: number } | { ok: false; reason: ExportRefusal }> {
  const prepared = await prepare(db, viewer, request, false);
  if ("refused" in prepared) return { ok: false, reason: prepared.refused };
  let rows = 0;
  const counted = async function* () {
    for await (const row of prepared.rows) {
      rows++;
      yield row;
    }
  };
  await writeSheet(request.format, prepared.spec, counted(), out);
  return { ok: true, rows };
}
