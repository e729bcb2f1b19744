/** The import use case's vocabulary: who imports, what a preview says, why one is refused. */
import type { ImportCounts, ImportKind, ImportState } from "../../domain/importRows.ts";
import type { UnreadableSheetError } from "../sheets/rows.ts";

/** An admin in chat (their subtree), or the operator at the CLI (the whole tree, or --org). */
export type ImportActor =
  | { kind: "admin"; adminId: number }
  | { kind: "operator"; scopePath?: readonly string[] | null };

export interface ImportProgress {
  rowsRead: number;
  refused: number;
  /** How far through the file (0…1), for a rate and an ETA. */
  fraction: number;
}

export interface ImportPreview {
  ok: true;
  importId: number;
  kind: ImportKind;
  fileName: string;
  counts: ImportCounts;
}

export type ImportRefusal =
  | { ok: false; reason: "demo_data_on" }
  | { ok: false; reason: "unknown_admin" }
  | { ok: false; reason: "unknown_scope" }
  | { ok: false; reason: "unreadable"; problem: UnreadableSheetError["problem"] }
  | { ok: false; reason: "no_header" }
  | { ok: false; reason: "lookup_limit"; max: number; retryAt: Date }
  | { ok: false; reason: "unknown_import" }
  | { ok: false; reason: "not_your_import" }
  | { ok: false; reason: "wrong_state"; state: ImportState }
  | { ok: false; reason: "changed_since_preview" }
  | { ok: false; reason: "undo_blocked"; count: number };

export type ImportRefusalReason = ImportRefusal["reason"];
