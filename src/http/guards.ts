/**
 * The edge's checks, in front of the routes (SPEC §8): who is calling from where, whether the
 * request is for this site at all (DNS rebinding) and from this site (CSRF), how big and how
 * often. Each refusal is a small JSON `{ error }` and changes nothing.
 */
import type { IncomingMessage } from "node:http";
import { type BlockList, isIP } from "node:net";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { secureHeaders } from "hono/secure-headers";
import type { Queryable } from "../db/client.ts";
import { type Budget, spend } from "../services/rateLimits.ts";

export const KB = 1024;
export const MB = 1024 * KB;

/** Answers every refusal of this module: a status and a localized `{ error }`. */
export type Refuse = (c: Context, status: 400 | 403 | 413 | 429, key: string) => Response;

/**
 * A body limit that refuses with 413 before the route reads (or parses) anything. A declared
 * length is checked from the header alone (Node's parser holds the body to it): hono's own
 * limit looks at the request's body stream first, which makes @hono/node-server build a whole
 * web Request for every request, a fifth of a webhook press's own CPU. Only a body of no
 * declared length (chunked) is counted as it streams in.
 */
export const limitBody = (maxSize: number, refuse: Refuse): MiddlewareHandler => {
  const tooLarge = (c: Context) => refuse(c, 413, "tooLarge");
  const streamed = bodyLimit({ maxSize, onError: tooLarge });
  return async (c, next) => {
    const length = c.req.header("content-length");
    if (length !== undefined && c.req.header("transfer-encoding") === undefined) {
      return Number.parseInt(length, 10) > maxSize ? tooLarge(c) : next();
    }
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    return streamed(c, next);
  };
};

/** The IPv4 form of an IPv4-mapped IPv6 address, which is how Node reports IPv4 peers. */
const plain = (address: string) => address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "");

const trusted = (proxies: BlockList, address: string) => {
  const version = isIP(address);
  return version !== 0 && proxies.check(address, version === 4 ? "ipv4" : "ipv6");
};

/**
 * The client's address: the socket's peer, or, when that peer is a trusted proxy, the nearest
 * address in X-Forwarded-For that is not one (the rest of that header is whatever the client
 * wrote, so it is never believed).
 */
export function clientAddress(c: Context, proxies: BlockList): string {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const peer = plain(incoming?.socket?.remoteAddress ?? "unknown");
  if (!trusted(proxies, peer)) return peer;
  const hops = (c.req.header("x-forwarded-for") ?? "")
    .split(",")
    .map((h) => plain(h.trim()))
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (isIP(hop) === 0) return peer;
    if (!trusted(proxies, hop)) return hop;
  }
  return peer;
}

/** True when the request reached us over HTTPS (directly, or so a trusted proxy says). */
export function isHttps(c: Context, proxies: BlockList): boolean {
  if (new URL(c.req.url).protocol === "https:") return true;
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const peer = plain(incoming?.socket?.remoteAddress ?? "");
  return trusted(proxies, peer) && c.req.header("x-forwarded-proto")?.trim() === "https";
}

/** Only these host names may address the web chat: a rebound DNS name gets 403. */
export function hostCheck(publicHosts: readonly string[], refuse: Refuse): MiddlewareHandler {
  const allowed = new Set(publicHosts.map((h) => h.toLowerCase()));
  return async (c, next) => {
    const host = new URL(c.req.url).hostname.toLowerCase();
    if (!allowed.has(host)) return refuse(c, 403, "host");
    await next();
  };
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * A state-changing request must come from this site's own page: a browser says where a request
 * comes from in Sec-Fetch-Site and Origin, and a cross-site one is refused (CSRF). Clients that
 * are not browsers send neither and are judged by their session alone.
 */
export function sameOriginCheck(refuse: Refuse): MiddlewareHandler {
  return async (c, next) => {
    if (!SAFE_METHODS.has(c.req.method)) {
      const site = c.req.header("sec-fetch-site");
      if (site !== undefined && site !== "same-origin") return refuse(c, 403, "crossSite");
      const origin = c.req.header("origin");
      if (origin !== undefined) {
        const own = new URL(c.req.url).host.toLowerCase();
        const theirs = URL.canParse(origin) ? new URL(origin).host.toLowerCase() : null;
        if (theirs !== own) return refuse(c, 403, "crossSite");
      }
    }
    await next();
  };
}

/** Spends one unit of the key's budget; over it, 429 with Retry-After. */
export async function overLimit(
  c: Context,
  db: Queryable,
  key: string,
  budget: Budget,
  now: Date,
  refuse: Refuse,
): Promise<Response | null> {
  const spent = await spend(db, key, budget, now);
  if (spent.ok) return null;
  const response = refuse(c, 429, "slowDown");
  response.headers.set("Retry-After", String(Math.ceil(spent.retryAfterMs / 1000)));
  return response;
}

/**
 * The page's headers: scripts and styles from this origin only (no inline code), never in a
 * frame, no referrer (a `?code=` link must not leak), no MIME sniffing.
 */
export const pageHeaders = (): MiddlewareHandler =>
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", "data:"],
      connectSrc: ["'self'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
    referrerPolicy: "no-referrer",
    xFrameOptions: "DENY",
    xContentTypeOptions: "nosniff",
    // HTTPS is the reverse proxy's to announce; on http://localhost it means nothing.
    strictTransportSecurity: false,
  });
