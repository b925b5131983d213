/** Commit signatures as git verifies them, with the user's settings and never a repository's. */
import type { Repository } from './repository';
import { checkRevision } from './gitRunner';

/**
 * How git verifies signatures here, from the user's own configuration (global, then system) and
 * never the repository's: the programs (gpg, ssh-keygen, gitsign for x509), the SSH allowed-signers
 * and revocation files. A repository naming its own allowed signers could vouch for its own keys.
 */
const signatureKeys: Record<string, string> = {
  'gpg.program': 'gpg',
  'gpg.ssh.program': 'ssh-keygen',
  'gpg.x509.program': 'gpgsm',
  'gpg.ssh.allowedsignersfile': '/dev/null',
  'gpg.ssh.revocationfile': '',
  'gpg.mintrustlevel': '',
};

export async function signatureSettings(repo: Repository): Promise<string[]> {
  const settings = new Map(Object.entries(signatureKeys));
  // One process: each entry comes as "scope NUL key LF value NUL", system before global before local.
  const out = await repo.run(['config', '-z', '--show-scope', '--get-regexp', '^gpg\\.']).catch(() => '');
  const parts = out.split('\0');
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const [scope, entry] = [parts[i]!, parts[i + 1]!];
    const nl = entry.indexOf('\n');
    const key = (nl < 0 ? entry : entry.slice(0, nl)).toLowerCase();
    if ((scope === 'system' || scope === 'global') && key in signatureKeys && nl >= 0) settings.set(key, entry.slice(nl + 1));
  }
  return [...settings].filter(([, v]) => v !== '').flatMap(([k, v]) => ['-c', `${k}=${v}`]);
}

/** What git's %G? letter means, in words. */
export const signatureMeaning: Record<string, string> = {
  G: 'good signature',
  U: 'signed with a key not trusted here (not in the allowed signers, or an untrusted GPG key)',
  N: 'unsigned',
  B: 'bad signature',
  E: 'signature cannot be checked',
  R: 'signed with a revoked key',
  X: 'expired signature',
  Y: 'signed with an expired key',
};

/** git's %G? verdict on one commit (G, U, N, B, E, R, X, Y). */
export async function commitSignature(repo: Repository, sha: string): Promise<string> {
  const out = await repo.run([...(await signatureSettings(repo)), 'log', '-1', '--format=%G?', '--end-of-options', checkRevision(sha)]);
  return out.trim() || 'E';
}
