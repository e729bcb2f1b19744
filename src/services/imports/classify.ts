/**
 * Member rows against the members table, set by set (a million rows are a few statements):
 * duplicates within the file, members already recorded — the same, changed, moved within the
 * importer's subtree, or elsewhere — and R2 for the branches that take no new members.
 */
import { sql } from "drizzle-orm";
import { type Queryable, query } from "../../db/client.ts";
import { within } from "../../db/queries/subtree.ts";

/** Where the importer's subtree starts ("/" for the whole tree). */
export async function classifyMembers(tx: Queryable, importId: number, scopePath: string) {
  // Every row of a duplicated number is refused: which of them is right is the file's to say.
  await query(
    tx,
    sql`with d as (
          select id_hash, array_agg(row_no order by row_no) as rows_ from import_rows
          where import_id = ${importId} and id_hash is not null
          group by id_hash having count(*) > 1)
        update import_rows r set action = 'refused', problem_column = 'idNumber',
          problem = 'duplicate_in_file',
          detail = jsonb_build_object('rows', array_to_string(d.rows_[1:5], ', '))
        from d where r.import_id = ${importId} and r.id_hash = d.id_hash and r.action <> 'refused'`,
  );
  await query(
    tx,
    sql`update import_rows r set existing_id = m.id,
          action = case when m.branch_id <> r.target_id then 'move'
            when m.name = r.name and m.identity = r.identity
              and m.graduation_month is not distinct from r.graduation_month
              and m.graduation_branch_id is not distinct from r.graduation_branch_id
              and m.delayed_reason is not distinct from r.delayed_reason then 'same'
            else 'change' end,
          previous = jsonb_build_object('name', m.name, 'branchId', m.branch_id,
            'identity', m.identity, 'graduationMonth', m.graduation_month,
            'graduationYear', m.graduation_year, 'graduationBranchId', m.graduation_branch_id,
            'delayedReason', m.delayed_reason)
        from members m
        where r.import_id = ${importId} and r.action = 'add' and m.id_hash = r.id_hash`,
  );
  // A member elsewhere: where, only inside the importer's own subtree. A member with any
  // application moves only by transfer (R24, R28): an old roster must not undo one.
  await query(
    tx,
    sql`update import_rows r set action = 'refused', problem_column = 'idNumber',
          problem = case when ${within(sql`o.path`, scopePath)} then 'has_applications'
            else 'exists_elsewhere' end,
          detail = case when ${within(sql`o.path`, scopePath)}
            then jsonb_build_object('org', o.name) else null end
        from members m join organizations o on o.id = m.branch_id
        where r.import_id = ${importId} and r.action = 'move' and m.id = r.existing_id
          and (not ${within(sql`o.path`, scopePath)}
               or exists (select 1 from applications a where a.member_id = m.id))`,
  );
  // R2, marked on the row when it was read: only adding or moving someone in is refused.
  await query(
    tx,
    sql`update import_rows set
          action = case when action in ('add', 'move') then 'refused' else action end,
          problem_column = case when action in ('add', 'move') then 'branch' else null end,
          problem = case when action in ('add', 'move') then problem else null end
        where import_id = ${importId} and problem = 'graduate_branch' and problem_column is null`,
  );
}

/** The numbers matched outside the importer's subtree: each counts as a lookup (R5). */
export async function elsewhereHashes(tx: Queryable, importId: number): Promise<string[]> {
  const rows = await query<{ idHash: string }>(
    tx,
    sql`select id_hash as "idHash" from import_rows
        where import_id = ${importId} and problem = 'exists_elsewhere'`,
  );
  return rows.map((r) => r.idHash);
}
