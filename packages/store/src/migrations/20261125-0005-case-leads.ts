import { type Kysely, sql } from 'kysely';
import type { AccordMigration } from './index.ts';

// Frozen once released. Cases opened before cases had members: whoever opened one becomes its lead,
// so that upgrading a node does not make its evidence disappear from the people who added it. The
// change is written to the case history like any other.
export const m20261125_0005_case_leads: AccordMigration = () => ({
  async up(db: Kysely<unknown>) {
    const orphans = await sql<{ id: string; created_by: string; created_at: string; lead_org_id: string }>`
      select c.id, c.created_by, c.created_at, c.lead_org_id from cases c
      where c.created_by is not null
        and not exists (select 1 from case_members m where m.case_id = c.id)`.execute(db);
    const now = new Date().toISOString();
    for (const c of orphans.rows) {
      await sql`insert into case_members (case_id, user_id, role, added_at)
        values (${c.id}, ${c.created_by}, 'lead', ${c.created_at})`.execute(db);
      await sql`insert into case_events (id, case_id, compartment_id, at, actor_user_id, actor_org_id, type, subject_id, details)
        values (${crypto.randomUUID()}, ${c.id}, null, ${now}, null, null, 'member.added', ${c.created_by},
                ${JSON.stringify({ role: 'lead', migration: '20261125-0005' })})`.execute(db);
    }
  },
});
