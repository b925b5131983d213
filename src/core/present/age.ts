/** Compact relative ages ("5m", "3d", "2y") for annotations and tables. */
export function relativeAge(iso: string, now = Date.now()): string {
  const s = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (!Number.isFinite(s)) return '?';
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))}m`;
  if (s < 86400) return `${Math.round(s / 3600)}h`;
  if (s < 86400 * 60) return `${Math.round(s / 86400)}d`;
  if (s < 86400 * 730) return `${Math.round(s / (86400 * 30))}mo`;
  return `${Math.round(s / (86400 * 365))}y`;
}

/** A short UTC date-time for people: 2026-03-01 09:00 UTC. */
export function shortTime(iso: string | null | undefined): string {
  if (!iso) return 'unknown time';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? 'unknown time' : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
