/**
 * R4 at start-up: plain ID numbers of older versions are sealed by code, a key rotation moves
 * every sealed value to the new key, and data sealed under a key the process lacks stops it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { appendToLog, readLog } from "../../src/channels/web/log.ts";
import { sealAtRest } from "../../src/db/resealing.ts";
import {
  idNumberHash,
  installSecretKeys,
  keyIds,
  openIdNumber,
  UnknownKeyError,
} from "../../src/db/sealing.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";
import { TEST_SECRET_KEY } from "../helpers/secretKey.ts";
import { buildWorld, idFor } from "../helpers/world.ts";

const testKey = Buffer.from(TEST_SECRET_KEY, "hex");
const otherKey = Buffer.alloc(32, 7);

describe.each(DB_KINDS)("sealing at rest on %s", (kind) => {
  const database = useTestDatabase(kind);
  afterEach(() => installSecretKeys({ current: testKey }));

  it("seals plain ID numbers of an older version at start-up and empties their plain copies", async () => {
    const w = await buildWorld(database.current.db);
    const legacy = [idFor("2003-04-05", 901), idFor("2004-12-31", 902)];
    for (const [i, id] of legacy.entries()) {
      await database.current.query(
        `insert into members (name, id_number, birth_date, branch_id) values ($1, $2, $3, $4)`,
        [`旧成员${i}`, id, `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`, w.org.UB1],
      );
    }
    expect(await sealAtRest(database.current.db)).toEqual({ sealed: 2, resealed: 0 });
    const rows = await database.current.query<{
      id_number: string | null;
      birth_date: string | null;
      id_hash: string;
      id_sealed: string;
    }>(
      "select id_number, birth_date, id_hash, id_sealed from members where name like '旧成员%' order by name",
    );
    expect(rows.map((r) => [r.id_number, r.birth_date])).toEqual([
      [null, null],
      [null, null],
    ]);
    expect(rows.map((r) => openIdNumber(r.id_sealed))).toEqual(legacy);
    expect(rows.map((r) => r.id_hash)).toEqual(legacy.map(idNumberHash));
    expect(await sealAtRest(database.current.db)).toEqual({ sealed: 0, resealed: 0 });
  });

  it("moves every sealed value to the new key during a rotation, and still finds members", async () => {
    const w = await buildWorld(database.current.db);
    await database.current.db.transaction((tx) =>
      appendToLog(tx, "m-1", [{ reply: { text: `身份证号 ${w.idNumber.m1}`, buttons: [] } }]),
    );
    const oldHash = idNumberHash(w.idNumber.m1);
    installSecretKeys({ current: otherKey, previous: testKey });
    const members = Object.keys(w.member).length;
    expect(await sealAtRest(database.current.db)).toEqual({ sealed: 0, resealed: members + 1 });
    // Once done, the previous key is no longer needed.
    installSecretKeys({ current: otherKey });
    const sealed = await database.current.query<{ s: string }>(
      "select id_sealed as s from members union all select sealed from webchat_messages",
    );
    expect(sealed.every((r) => r.s.startsWith(`1.${keyIds().current}.`))).toBe(true);
    const [found] = await database.current.query<{ id: number }>(
      "select id from members where id_hash = $1",
      [idNumberHash(w.idNumber.m1)],
    );
    expect(found?.id).toBe(w.member.m1);
    expect(idNumberHash(w.idNumber.m1)).not.toBe(oldHash);
    const [line] = await readLog(database.current.db, "m-1", null);
    expect(line?.text).toBe(`身份证号 ${w.idNumber.m1}`);
  });

  it("refuses to start on data sealed under a key it does not have", async () => {
    await buildWorld(database.current.db);
    installSecretKeys({ current: otherKey });
    await expect(sealAtRest(database.current.db)).rejects.toBeInstanceOf(UnknownKeyError);
  });
});
