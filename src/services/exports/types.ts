/** What every export kind shares: who asks, how ID numbers show, what comes back. */
import type { TFunction } from "i18next";
import type { Season } from "../../domain/calendar.ts";
import type { OrgNode } from "../../domain/tree.ts";
import type { Locale } from "../../i18n.ts";
import type { SheetFormat } from "../sheets/write.ts";

/** The exports of SPEC §7 and issue 18 (one entry per kind in `index.ts`). */
export const EXPORT_KINDS = ["toEnter", "ranking", "pending", "history", "codes"] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

/**
 * Whose export it is. `adminId` is null for the operator's CLI. `fullIds`: the ID numbers are
 * shown in full (R4: a leading organ, and in a chat only a private one); decided once by
 * `viewerOf` so every kind masks the same way.
 */
export interface ExportViewer {
  org: OrgNode;
  adminId: number | null;
  fullIds: boolean;
}

export interface ExportContext {
  viewer: ExportViewer;
  format: SheetFormat;
  locale: Locale;
  t: TFunction;
  now: Date;
  season: Season;
}

/** A finished file, whole (chat) — the CLI streams the same rows to disk instead. */
export interface ExportFile {
  name: string;
  mime: string;
  data: Buffer;
  rows: number;
}

export type ExportRefusal =
  | "unknown_admin"
  | "not_permitted"
  | "private_only"
  | "leading_organ_only"
  | "unknown_branch"
  | "too_many_codes"
  | "too_large";
