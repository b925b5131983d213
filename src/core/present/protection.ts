import type { EnvironmentProtection } from '../model/domain';

/** An environment's protection rules in a few words: `; requires review by a, team:b, waits 30 min`. */
export function protectionText(protection: EnvironmentProtection | null | undefined, escape: (text: string) => string): string {
  if (!protection) return '';
  const parts: string[] = [];
  if (protection.reviewers.length > 0) {
    parts.push(
      `requires review by ${protection.reviewers.map((r) => escape(r)).join(', ')}${protection.preventSelfReview ? ' (not by who deploys)' : ''}`,
    );
  }
  if (protection.waitMinutes) parts.push(`waits ${protection.waitMinutes} min`);
  return parts.length > 0 ? `; ${parts.join(', ')}` : '';
}
