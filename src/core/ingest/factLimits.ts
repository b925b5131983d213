/**
 * What the store can hold, checked on every normalised event before anything is written, so a
 * value the database would refuse is the sender's 422 naming the field, never the service's 500:
 * integers within PostgreSQL's int (bigint for a deploy tool's sequence), no NUL characters
 * (PostgreSQL text cannot hold them), times within the years 0001 to 9999.
 */
import { InvalidEventError, type NormalizedEvent } from './facts';

const intMin = -2147483648;
const intMax = 2147483647;
const timeColumn = /(^|_)at$/;
/** Columns kept as bigint: ids from other systems (GitHub's deployment ids pass 2^31). */
const bigintColumns = new Set(['deployments.sequence']);

function check(where: string, column: string, value: unknown): void {
  if (typeof value === 'number') {
    if (bigintColumns.has(`${where}.${column}`) && Number.isSafeInteger(value) && value >= 0) return;
    if (!Number.isSafeInteger(value) || value < intMin || value > intMax) {
      throw new InvalidEventError('', `${where}.${column}: ${value} is out of range (an integer from ${intMin} to ${intMax})`);
    }
  } else if (typeof value === 'string') {
    if (value.includes('\u0000')) throw new InvalidEventError('', `${where}.${column}: contains a NUL character`);
    if (timeColumn.test(column) && !/^\d{4}-/.test(value))
      throw new InvalidEventError('', `${where}.${column}: the time ${value} is out of range (years 0001 to 9999)`);
  }
}

export function checkFactLimits(event: NormalizedEvent): void {
  if (event.key.includes('\u0000')) throw new InvalidEventError('', 'the event id contains a NUL character');
  for (const fact of event.facts) {
    for (const [column, value] of Object.entries(fact.row)) check(fact.table, column, value);
    if (fact.table === 'findings') {
      for (const location of fact.locations) for (const [column, value] of Object.entries(location)) check('locations', column, value);
    }
    if (fact.table === 'pull_requests') for (const sha of fact.commits) check('pull_requests', 'commits', sha);
  }
}
