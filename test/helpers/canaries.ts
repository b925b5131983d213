/**
 * Plants, in a real repository, every program its configuration can make git run, each a canary
 * that writes its name to a marker file: the marker stays absent exactly when none ran.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestRepo } from './gitRepo';

/** Keys whose value names a program. */
export const programKeys = [
  'core.fsmonitor',
  'core.pager',
  'pager.blame',
  'pager.log',
  'core.sshCommand',
  'core.askPass',
  'core.editor',
  'core.gitProxy',
  'core.alternateRefsCommand',
  'sequence.editor',
  'diff.external',
  'diff.canary.textconv',
  'diff.canary.command',
  'filter.canary.clean',
  'filter.canary.smudge',
  'filter.canary.process',
  'merge.canary.driver',
  'gpg.program',
  'gpg.ssh.program',
  'credential.helper',
  'remote.origin.uploadpack',
  'remote.origin.receivepack',
];

export interface Canaries {
  dir: string;
  marker: string;
  /** Variables a hostile shell could hand the CLI; git must see none of them. */
  env: Record<string, string>;
  fired(): string;
}

/** `attributes` names the paths the canary diff, filter and merge drivers apply to. */
export function plantCanaries(repo: TestRepo, attributes = '* diff=canary filter=canary merge=canary'): Canaries {
  const dir = `${repo.dir}-canaries`;
  mkdirSync(dir, { recursive: true });
  const marker = join(dir, 'FIRED');
  const canary = (name: string) => {
    const path = join(dir, name.replace(/[^a-z0-9]+/gi, '-'));
    writeFileSync(path, `#!/bin/sh\necho "${name} $*" >> "${marker}"\ncat\n`);
    chmodSync(path, 0o755);
    return path;
  };
  const hooks = join(dir, 'hooks');
  mkdirSync(hooks, { recursive: true });
  for (const hook of ['pre-commit', 'post-checkout', 'reference-transaction', 'post-index-change', 'pre-auto-gc', 'post-rewrite']) {
    writeFileSync(join(hooks, hook), `#!/bin/sh\necho "hook ${hook}" >> "${marker}"\n`);
    chmodSync(join(hooks, hook), 0o755);
  }
  for (const key of programKeys) repo.git(['config', key, key === 'credential.helper' ? `!${canary(key)}` : canary(key)]);
  repo.git(['config', 'core.hooksPath', hooks]);
  repo.git(['config', 'filter.canary.required', 'true']);
  repo.git(['config', 'log.showSignature', 'true']);
  writeFileSync(join(repo.dir, '.git/info/attributes'), `${attributes}\n`);
  const globalConfig = join(dir, 'gitconfig');
  writeFileSync(globalConfig, `[core]\n\tfsmonitor = ${canary('GIT_CONFIG_GLOBAL')}\n`);
  return {
    dir,
    marker,
    env: {
      GIT_EXTERNAL_DIFF: canary('GIT_EXTERNAL_DIFF'),
      GIT_PAGER: canary('GIT_PAGER'),
      GIT_SSH_COMMAND: canary('GIT_SSH_COMMAND'),
      GIT_ASKPASS: canary('GIT_ASKPASS'),
      GIT_EDITOR: canary('GIT_EDITOR'),
      GIT_CONFIG_PARAMETERS: `'core.fsmonitor=${canary('GIT_CONFIG_PARAMETERS')}'`,
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'core.fsmonitor',
      GIT_CONFIG_VALUE_0: canary('GIT_CONFIG_COUNT'),
      GIT_CONFIG_GLOBAL: globalConfig,
    },
    fired: () => (existsSync(marker) ? readFileSync(marker, 'utf8').trim() : ''),
  };
}
