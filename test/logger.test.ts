import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, scrub } from "../src/logger.ts";

describe("R4 logs never hold a full ID number or a token", () => {
  it("masks ID numbers and bot tokens in free text", () => {
    expect(scrub("member 11010519491231002X filed")).toBe("member 110105********002X filed");
    expect(scrub("token 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq1")).toBe("token [token]");
  });

  it("redacts known fields and scrubs messages and errors", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = createLogger("info", sink);
    log.info({ member: { idNumber: "11010519491231002X" }, token: "123:abc" }, "bound");
    log.info("lookup of 11010519491231002X");
    log.error({ err: new Error("duplicate key 11010519491231002X") }, "failed");
    const network = new Error("request failed", {
      cause: new Error(
        "fetch https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq1/getMe failed",
      ),
    });
    log.error({ err: network }, "telegram down");
    const all = lines.join("");
    expect(all).not.toContain("11010519491231002X");
    expect(all).not.toContain("123:abc");
    expect(all).not.toContain("AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq1");
    expect(all).toContain("110105********002X");
  });
});
