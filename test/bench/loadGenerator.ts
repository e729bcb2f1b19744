/**
 * The load generator, run in its own process as a real client would be: autocannon sharing the
 * server's event loop would slow down the very server it measures. It gets its orders by IPC
 * (`Load`), sends each body once over `connections` connections, and answers with a `LoadResult`.
 */
import autocannon from "autocannon";

export interface Load {
  url: string;
  headers: Record<string, string>;
  bodies: string[];
  connections: number;
  /** Requests a second offered over all connections (default: as fast as answered). */
  overallRate?: number;
}

export interface LoadResult {
  requests: number;
  /** Requests per second over the whole run. */
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

process.once("message", async (load: Load) => {
  let next = 0;
  const started = performance.now();
  let answered = started;
  const job = autocannon({
    url: load.url,
    connections: load.connections,
    amount: load.bodies.length,
    ...(load.overallRate ? { overallRate: load.overallRate } : {}),
    timeout: 30,
    requests: [
      {
        method: "POST",
        headers: load.headers,
        setupRequest: (req) => ({ ...req, body: load.bodies[next++ % load.bodies.length] }),
      },
    ],
  });
  // autocannon reports its run only at its next whole-second tick: a 4-second run would count
  // up to a second of waiting. The rate is taken up to the last answer instead.
  job.on("response", () => {
    answered = performance.now();
  });
  const result = await job;
  const summary: LoadResult = {
    requests: result.requests.total,
    rps: result.requests.total / ((answered - started) / 1000),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
  process.send?.(summary, () => process.exit(0));
});
