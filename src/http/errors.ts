/**
 * What an error becomes at the edge: never hono's default page, never SQL, parameters or a
 * stack — a status and a localized `{ error }`, the detail only in the (scrubbed) log.
 */
import type { Context, ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { databaseUnavailable } from "../db/client.ts";
import { type Locale, translator } from "../i18n.ts";

/** A status and what to say, for errors the app raises on purpose. */
export function errorAnswer(error: unknown): { status: 400 | 413 | 500 | 503; key: string } {
  // Work that found the database gone stored nothing: 503, so a platform sends it again and a
  // person is told to try again, in their words.
  if (databaseUnavailable(error)) return { status: 503, key: "unavailable" };
  if (error instanceof HTTPException && error.status === 413)
    return { status: 413, key: "tooLarge" };
  if (error instanceof HTTPException && error.status < 500)
    return { status: 400, key: "badRequest" };
  // A malformed escape in a URL or a body that is not what it claims.
  if (error instanceof URIError || error instanceof SyntaxError)
    return { status: 400, key: "badRequest" };
  return { status: 500, key: "internal" };
}

/** When a client should try again after the database was found gone. */
const RETRY_AFTER_SECONDS = 5;

export function errorHandler(
  defaultLocale: Locale,
  onError?: (error: unknown) => void,
): ErrorHandler {
  const t = translator(defaultLocale);
  return (error: unknown, c: Context) => {
    const { status, key } = errorAnswer(error);
    if (status === 503) {
      return c.json({ error: t("reliability:unavailable") }, 503, {
        "retry-after": String(RETRY_AFTER_SECONDS),
      });
    }
    if (status >= 500) onError?.(error);
    return c.json({ error: t(`webchat:errors.${key}`) }, status);
  };
}
