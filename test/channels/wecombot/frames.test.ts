/**
 * The AI bot's callback and answer frames as the channel reads them, in the shapes of the doc
 * (document path 101463), the SDK 1.0.7's types (`src/types/event.ts`, `src/types/message.ts`)
 * and the platform as its implementers report it (FIELD-NOTES, WeCom).
 */
import { describe, expect, it } from "vitest";
import { parseAck, parseCallback } from "../../../src/channels/wecombot/frames.ts";

const click = (event: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  cmd: "aibot_event_callback",
  headers: { req_id: "req-1" },
  body: {
    msgid: "m-1",
    create_time: 1_700_000_000,
    aibotid: "aib1",
    from: { userid: "zhangsan", corpid: "ww1" },
    msgtype: "event",
    event,
    ...extra,
  },
});

describe("AI bot frames", () => {
  it("reads a click's fields under event.template_card_event (the platform) and under event (the SDK's types)", () => {
    const expected = {
      kind: "click",
      reqId: "req-1",
      msgId: "m-1",
      userId: "zhangsan",
      groupId: "wrg1",
      key: "tok",
      taskId: "app_1-x",
    };
    expect(
      parseCallback(
        click(
          {
            eventtype: "template_card_event",
            template_card_event: {
              card_type: "button_interaction",
              event_key: "tok",
              task_id: "app_1-x",
            },
          },
          { chatid: "wrg1", chattype: "group" },
        ),
      ),
    ).toEqual(expected);
    expect(
      parseCallback(
        click(
          { eventtype: "template_card_event", event_key: "tok", task_id: "app_1-x" },
          { chatid: "wrg1", chattype: "group" },
        ),
      ),
    ).toEqual(expected);
  });

  it("tells a private chat from a group by chattype, and a group by its chatid alone", () => {
    const text = (extra: Record<string, unknown>) =>
      parseCallback({
        cmd: "aibot_msg_callback",
        headers: { req_id: "r" },
        body: {
          msgid: "m",
          aibotid: "a",
          from: { userid: "u" },
          msgtype: "text",
          text: { content: "hi" },
          ...extra,
        },
      });
    expect(text({ chattype: "single" })).toMatchObject({ kind: "text", groupId: null, text: "hi" });
    expect(text({ chattype: "group", chatid: "g" })).toMatchObject({ groupId: "g" });
    expect(text({ chatid: "g" })).toMatchObject({ groupId: "g" });
  });

  it("knows disconnected_event and enter_chat, ignores what it does not act on", () => {
    expect(parseCallback(click({ eventtype: "disconnected_event" }))).toEqual({ kind: "replaced" });
    expect(parseCallback(click({ eventtype: "enter_chat" }))).toEqual({
      kind: "enter",
      reqId: "req-1",
      userId: "zhangsan",
    });
    expect(parseCallback(click({ eventtype: "feedback_event" }))).toBeNull();
    expect(parseCallback(click({ eventtype: "template_card_event" }))).toBeNull();
    expect(
      parseCallback({
        cmd: "aibot_msg_callback",
        headers: { req_id: "r" },
        body: {
          msgid: "m",
          aibotid: "a",
          from: { userid: "u" },
          msgtype: "image",
          image: { url: "x" },
        },
      }),
    ).toBeNull();
  });

  it("takes an answer with or without our cmd, never a callback, as an answer", () => {
    expect(parseAck({ headers: { req_id: "r1" }, errcode: 0, errmsg: "ok" })).toMatchObject({
      errcode: 0,
    });
    expect(
      parseAck({ cmd: "aibot_send_msg", headers: { req_id: "r2" }, errcode: 0 }),
    ).not.toBeNull();
    expect(parseAck(click({ eventtype: "enter_chat" }))).toBeNull();
  });
});
