/**
 * A copy of the app that dies mid-delivery: it claims every due delivery, announces the first
 * send and then hangs in it until the parent test kills it with SIGKILL.
 */
import { openDatabase } from "../../src/db/client.ts";
import { deliverDue } from "../../src/outbox/deliver.ts";

const url = process.env.CRASH_DATABASE_URL;
if (!url) throw new Error("CRASH_DATABASE_URL is not set");
const database = await openDatabase({ kind: "postgres", url });
await deliverDue(database.db, {
  senders: [
    {
      channel: "rec",
      async prepare() {
        return {
          transmit() {
            process.stdout.write("SENDING\n");
            return new Promise<never>(() => {});
          },
        };
      },
    },
  ],
  render: async (_db, event) => ({ text: { key: "chat:raw", params: { value: event.id } } }),
  now: new Date(),
});
