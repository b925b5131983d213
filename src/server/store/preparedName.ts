import { createHash } from 'node:crypto';

/**
 * The name a statement is prepared under on a connection: derived from its text, so one name
 * never stands for two texts (PostgreSQL and node-postgres refuse a second text under a name
 * already prepared), and every replica and connection names the same statement alike.
 */
export function preparedName(sql: string): string {
  return `lineage_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
}
