/**
 * The load generator, run in its own process as a real client would be: autocannon sharing the
 * server's event loop would slow down the very server it measures. It gets its orders by IPC
 * (`Load`), sends each body once over `connections` connections, and answers with a `LoadResult`.
 */
import { Agent, request } from "node:http";
import autocannon from "autocannon";
import { seededRandom } from "./random.ts";

export interface Load {
  url: string;
  headers: Record<string, string>;
  bodies: string[];
  connections: number;
  /**
   * Requests a second offered, arriving as independent people press: at random, evenly over
   * time (a Poisson stream). Without it, each connection sends its next as soon as answered.
   */
  overallRate?: number;
}

export interface LoadResult {
  requests: number;
  /** Requests answered per second over the whole run. */
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/** As fast as answered: autocannon. */
async function closedLoop(load: Load): Promise<LoadResult> {
  let next = 0;
  const started = performance.now();
  let answered = started;
  const job = autocannon({
    url: load.url,
    connections: load.connections,
    amount: load.bodies.length,
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
  return {
    requests: result.requests.total,
    rps: result.requests.total / ((answered - started) / 1000),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/**
 * Offered at a rate, whatever the answers do (autocannon's own rate sends each second's share
 * at the start of that second, a burst every second rather than a steady stream). Each arrival
 * takes a free connection of `connections`, or opens one more.
 */
async function openLoop(load: Load, rate: number): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: load.connections });
  const url = new URL(load.url);
  const random = seededRandom(20_260_801);
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const send = (body: string) =>
    new Promise<void>((resolve) => {
      const sent = performance.now();
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: "POST",
          headers: { ...load.headers, "content-length": Buffer.byteLength(body) },
          timeout: 30_000,
        },
        (res) => {
          res.resume();
          res.once("end", () => {
            latencies.push(performance.now() - sent);
            if ((res.statusCode ?? 0) >= 300) non2xx++;
            resolve();
          });
        },
      );
      req.once("error", () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
  const started = performance.now();
  let due = started;
  const inFlight: Promise<void>[] = [];
  for (const body of load.bodies) {
    due += (-Math.log(1 - random()) / rate) * 1000;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(send(body));
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  return {
    requests: latencies.length,
    rps: latencies.length / elapsed,
    p50: at(0.5),
    p99: at(0.99),
    non2xx,
    errors,
  };
}

process.once("message", async (load: Load) => {
  const summary = load.overallRate
    ? await openLoop(load, load.overallRate)
    : await closedLoop(load);
  process.send?.(summary, () => process.exit(0));
});
