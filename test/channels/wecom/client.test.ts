/** The WeCom API client against the local fake: token cache, refresh, errcodes. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { WecomApiError, WecomClient } from "../../../src/channels/wecom/client.ts";
import { FakeWecom } from "./fakeWecom.ts";

describe("WeCom API client", () => {
  const fake = new FakeWecom();
  let clock = 0;
  const client = () =>
    new WecomClient({
      apiRoot: fake.url,
      corpId: "ww-test",
      secret: "test-secret",
      agentId: 1000002,
      clock: () => clock,
    });

  beforeAll(() => fake.start());
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.reset();
    clock = 1_000_000;
  });

  it("reuses the token until five minutes before it expires", async () => {
    const c = client();
    await c.sendText("u1", "a");
    await c.sendText("u1", "b");
    expect(fake.calls.map((x) => x.api)).toEqual(["gettoken", "message/send", "message/send"]);
    clock += (7200 - 301) * 1000;
    await c.sendText("u1", "c");
    expect(fake.calls.filter((x) => x.api === "gettoken")).toHaveLength(1);
    clock += 2000;
    await c.sendText("u1", "d");
    expect(fake.calls.filter((x) => x.api === "gettoken")).toHaveLength(2);
    expect(fake.sent()[0]!.body).toEqual({
      touser: "u1",
      msgtype: "text",
      agentid: 1000002,
      text: { content: "a" },
    });
  });

  it("refreshes once and retries when WeCom says the token expired (42001)", async () => {
    const c = client();
    await c.sendText("u1", "before");
    const before = fake.tokensIssued;
    fake.expireToken();
    await c.sendText("u1", "after");
    expect(fake.tokensIssued).toBe(before + 1);
    const tail = fake.calls.slice(-3);
    expect(tail.map((x) => x.api)).toEqual(["message/send", "gettoken", "message/send"]);
    expect(tail[0]!.token).not.toBe(tail[2]!.token);
  });

  it("shares one refresh among concurrent calls", async () => {
    const c = client();
    await Promise.all([c.sendText("u1", "1"), c.sendText("u2", "2"), c.sendText("u3", "3")]);
    expect(fake.calls.filter((x) => x.api === "gettoken")).toHaveLength(1);
    fake.expireToken();
    await Promise.all([c.sendText("u1", "4"), c.sendText("u2", "5")]);
    expect(fake.calls.filter((x) => x.api === "gettoken")).toHaveLength(2);
    expect(fake.sent()).toHaveLength(7);
  });

  it("throws a typed error on any other errcode, and on a refused secret", async () => {
    const c = client();
    await c.sendText("u1", "warm up");
    fake.failNext(81013, "user & party & tag all invalid");
    const error = await c.sendText("nobody", "x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WecomApiError);
    expect(error).toMatchObject({ api: "message/send", errcode: 81013 });
    const wrong = new WecomClient({ apiRoot: fake.url, corpId: "c", secret: "bad", agentId: 1 });
    const refused = await wrong.sendText("u1", "x").catch((e: unknown) => e);
    expect(refused).toMatchObject({ api: "gettoken", errcode: 40001 });
    expect(String((refused as Error).message)).not.toContain("bad");
  });
});
