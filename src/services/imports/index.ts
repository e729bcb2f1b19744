/** Import of organizations, members and admins from spreadsheets (SPEC §7): one use case. */
export { applyImport, cancelImport, undoImport } from "./apply.ts";
export { allRows, type ListedRow, listRows } from "./listRows.ts";
export { demoDataPresent, previewImport } from "./preview.ts";
export type { ImportActor, ImportPreview, ImportProgress, ImportRefusal } from "./types.ts";
