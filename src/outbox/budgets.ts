/**
 * Every platform's rate limits, as one typed table: a new channel (the WeCom AI bot) adds its
 * row. A limit is a sliding window: at most `limit` messages in any `windowMs`. Edits count as
 * messages. The scheduler plans notifications within `limit - reserve`, so answers to a
 * person's own message or button, sent at once, find room in the rest.
 */
export interface Window {
  limit: number;
  windowMs: number;
  /** Left free for answers when notifications are planned. */
  reserve?: number;
  /**
   * Planned as if the window were this much longer: one send of a pair may take a few
   * milliseconds less on the way than the other, and a window of one message has no reserve.
   */
  marginMs?: number;
}

export interface ChannelBudget {
  /** Shared by everything the channel sends (one bot, one app). */
  channel: Window[];
  /** Per chat. */
  chat: Window[];
  /** Per chat, on top of `chat`, when the chat is a group. */
  group: Window[];
  isGroup(chatId: string): boolean;
}

export const BUDGETS = {
  // Bot API FAQ: about 30 messages a second overall, one a second per chat, 20 a minute in a
  // group. Group and supergroup ids are negative. The bot's messages go three at a time every
  // 111 ms (27 a second) rather than in bursts of 27: a send that arrives a little later than
  // planned then never meets the next second's burst at Telegram, and the three of an instant
  // are made and sent side by side (deliver.ts's pool).
  telegram: {
    channel: [
      { limit: 30, windowMs: 1_000, reserve: 3 },
      { limit: 3, windowMs: 111 },
    ],
    // 150 ms: on a loaded box two sends 1 s apart were seen arriving 970 ms apart.
    chat: [{ limit: 1, windowMs: 1_000, marginMs: 150 }],
    group: [{ limit: 20, windowMs: 60_000, reserve: 2 }],
    isGroup: (chatId) => chatId.startsWith("-"),
  },
  // A self-built app's chat is one member: WeCom silently drops what exceeds 30 a minute or
  // 1,000 an hour to a member, so nothing may be left to its 429 (there is none).
  wecom: {
    channel: [],
    chat: [
      { limit: 30, windowMs: 60_000, reserve: 2 },
      { limit: 1_000, windowMs: 3_600_000, reserve: 20 },
    ],
    group: [],
    isGroup: () => false,
  },
  // The AI bot (doc 101463 and its SDK): 30 messages a minute and 1,000 an hour per chat,
  // replies and pushes together; a group chat is one chat (`group:<chatid>`) to the limits.
  wecombot: {
    channel: [],
    chat: [
      { limit: 30, windowMs: 60_000, reserve: 2 },
      { limit: 1_000, windowMs: 3_600_000, reserve: 20 },
    ],
    group: [],
    isGroup: (chatId) => chatId.startsWith("group:"),
  },
} satisfies Record<string, ChannelBudget>;

/** One counted thing (the bot, a chat) and the windows that apply to it. */
export interface BudgetKey {
  key: string;
  windows: Window[];
}

const budgetOf = (channel: string): ChannelBudget | undefined =>
  (BUDGETS as Record<string, ChannelBudget>)[channel];

/** The channel's own key (shared by all its chats), when it has channel-wide limits. */
export function channelKey(channel: string): BudgetKey | null {
  const budget = budgetOf(channel);
  return budget && budget.channel.length > 0 ? { key: channel, windows: budget.channel } : null;
}

/** The chat's key, when the channel limits chats. */
export function chatKey(channel: string, chatId: string): BudgetKey | null {
  const budget = budgetOf(channel);
  if (!budget) return null;
  const windows = [...budget.chat, ...(budget.isGroup(chatId) ? budget.group : [])];
  return windows.length > 0 ? { key: `${channel}:${chatId}`, windows } : null;
}

/** The longest window of any channel: older sends never matter again. */
export const LONGEST_WINDOW_MS = Math.max(
  ...Object.values(BUDGETS as Record<string, ChannelBudget>).flatMap((b) =>
    [...b.channel, ...b.chat, ...b.group].map((w) => w.windowMs),
  ),
);
