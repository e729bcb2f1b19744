/**
 * An application's request as lines "label: value": the reason and the fields it carries. The
 * wizard's summary and the cards / details admins read show the same lines from this one place.
 */
import type { TransferReason } from "../domain/application.ts";
import { raw, text } from "./replies.ts";
import type { Text } from "./types.ts";

export interface RequestFields {
  reason?: TransferReason | null;
  studyType?: string | null;
  schoolName?: string | null;
  schoolAddress?: string | null;
  employerName?: string | null;
  employerAddress?: string | null;
  address?: string | null;
  addressKind?: string | null;
  externalOrgName?: string | null;
  externalOrgAddress?: string | null;
  externalOrgDetails?: string | null;
  under16Explanation?: string | null;
}

const T = (key: string, params?: Text["params"]) => text(`transfer:${key}`, params);

/** One "label: value" line; a string value is shown as typed. */
export const requestLine = (label: string, value: Text | string) =>
  T("wizard.line", {
    label: T(`wizard.label.${label}`),
    value: typeof value === "string" ? raw(value) : value,
  });

export function requestLines(f: RequestFields): Text[] {
  const lines = f.reason ? [requestLine("reason", T(`reason.${f.reason}`))] : [];
  if (f.studyType) lines.push(requestLine("studyType", T(`studyType.${f.studyType}`)));
  for (const key of ["schoolName", "schoolAddress", "employerName", "employerAddress"] as const) {
    const value = f[key];
    if (value) lines.push(requestLine(key, value));
  }
  if (f.address && f.addressKind) {
    lines.push(
      requestLine("address", f.address),
      requestLine("addressKind", T(`addressKind.${f.addressKind}`)),
    );
  }
  for (const key of [
    "externalOrgName",
    "externalOrgAddress",
    "externalOrgDetails",
    "under16Explanation",
  ] as const) {
    const value = f[key];
    if (value) lines.push(requestLine(key, value));
  }
  return lines;
}
