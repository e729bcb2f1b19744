/**
 * A paged picker: up to 8 options per page as buttons, with previous / next. The options live
 * in the flow's state (so paging needs no new search); the buttons carry `{ pick }` or `{ page }`.
 */
import { raw, stepButton } from "./replies.ts";
import type { Button, Json, Text } from "./types.ts";

export const PICKER_PAGE_SIZE = 8;

export interface PickerOption {
  /** Shown on the button: usually `raw(name)` of a database row. */
  label: Text | string;
  value: Json;
}

export const pickerPages = (count: number) => Math.max(1, Math.ceil(count / PICKER_PAGE_SIZE));

/** The buttons of one page (clamped to the pages there are): one option per row, then paging. */
export function pickerButtons(options: PickerOption[], page: number): Button[][] {
  const pages = pickerPages(options.length);
  const p = Math.min(Math.max(0, page), pages - 1);
  const rows = options
    .slice(p * PICKER_PAGE_SIZE, (p + 1) * PICKER_PAGE_SIZE)
    .map((o) => [
      stepButton(typeof o.label === "string" ? raw(o.label) : o.label, { pick: o.value }),
    ]);
  const paging: Button[] = [];
  if (p > 0) paging.push(stepButton("chat:picker.previous", { page: p - 1 }));
  if (p < pages - 1) paging.push(stepButton("chat:picker.next", { page: p + 1 }));
  if (paging.length > 0) rows.push(paging);
  return rows;
}

/** What a picker button meant, or null for a value that is not a picker's. */
export function readPicker(value: Json): { pick: Json } | { page: number } | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  if ("pick" in value) return { pick: value.pick ?? null };
  if ("page" in value && typeof value.page === "number") return { page: value.page };
  return null;
}
