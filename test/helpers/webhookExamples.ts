/** GitHub's own recorded webhook payloads (@octokit/webhooks-examples), read as JSON data. */
import { readFileSync } from 'node:fs';

export const webhookExamples = JSON.parse(readFileSync(require.resolve('@octokit/webhooks-examples'), 'utf8')) as {
  name: string;
  examples: any[];
}[];

/** A fresh copy of the `index`th example of an event, safe to edit. */
export function webhookExample(event: string, index = 0): any {
  const group = webhookExamples.find((g) => g.name === event);
  if (!group?.examples[index]) throw new Error(`no webhook example ${index} for ${event}`);
  return structuredClone(group.examples[index]);
}
