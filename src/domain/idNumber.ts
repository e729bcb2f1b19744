/**
 * Resident ID numbers (GB 11643): 6-digit area code, birth date YYYYMMDD, 3-digit sequence and a
 * check character computed with ISO 7064 MOD 11-2 (R4).
 */

export type IdNumberError = "id_length" | "id_format" | "id_birth_date" | "id_checksum";

export type IdNumberResult =
  | { ok: true; idNumber: string; birthDate: string }
  | { ok: false; error: IdNumberError };

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = "10X98765432";

/** The check character for the first 17 digits. */
export function idCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (WEIGHTS[i] as number);
  return CHECK_CHARS[sum % 11] as string;
}

function isRealDate(year: number, month: number, day: number): boolean {
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

/** Validates and normalizes (trimmed, upper-case X) an ID number. */
export function parseIdNumber(input: string): IdNumberResult {
  const idNumber = input.trim().toUpperCase();
  if (idNumber.length !== 18) return { ok: false, error: "id_length" };
  if (!/^\d{17}[\dX]$/.test(idNumber)) return { ok: false, error: "id_format" };
  const year = Number(idNumber.slice(6, 10));
  const month = Number(idNumber.slice(10, 12));
  const day = Number(idNumber.slice(12, 14));
  if (year < 1900 || !isRealDate(year, month, day)) return { ok: false, error: "id_birth_date" };
  if (idCheckChar(idNumber.slice(0, 17)) !== idNumber[17])
    return { ok: false, error: "id_checksum" };
  const birthDate = `${idNumber.slice(6, 10)}-${idNumber.slice(10, 12)}-${idNumber.slice(12, 14)}`;
  return { ok: true, idNumber, birthDate };
}

/**
 * Completed years of age on `on` (a calendar date "YYYY-MM-DD" in the caller's time zone).
 * Someone born on 29 February turns a year older on 1 March in common years.
 */
export function ageOn(birthDate: string, on: string): number {
  const age = Number(on.slice(0, 4)) - Number(birthDate.slice(0, 4));
  // "MM-DD" compares as the calendar does; no arrays per call (an import asks a million times).
  return on.slice(5) < birthDate.slice(5) ? age - 1 : age;
}

/** Shows the first 6 and last 4 characters only (R4): 110105********002X. */
export function maskIdNumber(idNumber: string): string {
  if (idNumber.length <= 10) return "*".repeat(idNumber.length);
  return `${idNumber.slice(0, 6)}${"*".repeat(idNumber.length - 10)}${idNumber.slice(-4)}`;
}
