/** tfsec's JSON report: results[] each with a location (filename, start_line) and a resource. */
import { z } from 'zod';
import { terraformAddress } from '../infrastructureRefs';
import { noRefs, type DocumentReader } from './readerTypes';
import { list, position, text } from './tolerant';

const Result = z.looseObject({
  rule_id: text,
  long_id: text,
  resource: text,
  location: z.looseObject({ filename: text, start_line: position }).optional().catch(undefined),
});
const Report = z.looseObject({ results: z.array(z.unknown()) }).transform((r) => list(Result, 5000).parse(r.results));

export const tfsecReader: DocumentReader = {
  format: 'tfsec',
  read(doc) {
    const results = Report.safeParse(doc);
    // `results` is a common word: only a list where some result has a location is tfsec's.
    if (!results.success || !results.data.some((x) => x.location?.filename)) return null;
    const refs = noRefs();
    for (const x of results.data) {
      if (x.location?.filename)
        refs.locations.push({ file: x.location.filename, line: x.location.start_line, why: `tfsec ${x.rule_id ?? x.long_id ?? ''}` });
      if (x.resource && terraformAddress(x.resource))
        refs.terraform.push({ address: x.resource, attribute: null, why: `tfsec ${x.rule_id ?? ''}` });
    }
    return refs;
  },
};
