/**
 * Which GitHub event a webhook body is, read from the body itself. The X-GitHub-Event header is
 * not covered by the signature, so a signed body sent again under another event name must not be
 * read as that event: the name the header gives has to be the one the body's shape says. And since
 * the body alone names its event, a stored delivery re-derives the same facts from its raw text.
 */
import { isObject } from './values';

const has = (o: Record<string, unknown>, ...keys: string[]) => keys.every((k) => o[k] !== undefined && o[k] !== null);
const lacks = (o: Record<string, unknown>, ...keys: string[]) => keys.every((k) => o[k] === undefined);

/** The supported event the body is, or null when it is none of them (or another event's). */
export function githubEventOfShape(payload: unknown): string | null {
  if (!isObject(payload)) return null;
  const p = payload;
  if (has(p, 'zen', 'hook_id')) return 'ping';
  if (has(p, 'alert') && isObject(p.alert) && has(p.alert, 'rule') && lacks(p.alert, 'dependency', 'security_advisory', 'secret_type'))
    return 'code_scanning_alert';
  if (has(p, 'deployment', 'deployment_callback_url')) return 'deployment_protection_rule';
  if (has(p, 'deployment', 'deployment_status')) return 'deployment_status';
  if (has(p, 'deployment') && lacks(p, 'deployment_status', 'deployment_callback_url', 'approver', 'reviewers', 'workflow_job', 'since'))
    return 'deployment';
  if (has(p, 'pull_request', 'review') && lacks(p, 'comment', 'thread')) return 'pull_request_review';
  if (has(p, 'pull_request') && lacks(p, 'review', 'comment', 'thread', 'issue')) return 'pull_request';
  if (has(p, 'workflow_run', 'since') && lacks(p, 'deployment', 'workflow_job')) return 'deployment_review';
  if (has(p, 'workflow_run') && lacks(p, 'workflow_job', 'approver', 'reviewers', 'deployment', 'since')) return 'workflow_run';
  if (has(p, 'workflow_job') && lacks(p, 'workflow_run', 'check_run')) return 'workflow_job';
  if (has(p, 'check_suite') && lacks(p, 'check_run')) return 'check_suite';
  if (has(p, 'release') && isObject(p.release) && has(p.release, 'tag_name')) return 'release';
  if (has(p, 'check_run') && lacks(p, 'check_suite_id')) return 'check_run';
  if (has(p, 'sha', 'state', 'context') && lacks(p, 'ref')) return 'status';
  if (has(p, 'ref', 'before', 'after') && lacks(p, 'ref_type', 'pusher_type') && Array.isArray(p.commits)) return 'push';
  return null;
}
