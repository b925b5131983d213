/** trivy's JSON report: Results[].Misconfigurations[] with CauseMetadata (file lines and Terraform resources). */
import { z } from 'zod';
import { terraformAddress } from '../infrastructureRefs';
import { noRefs, type DocumentReader } from './readerTypes';
import { list, position, text } from './tolerant';

const Misconfiguration = z.looseObject({
  ID: text,
  Status: text,
  CauseMetadata: z.looseObject({ Resource: text, StartLine: position }).catch({ Resource: undefined, StartLine: null }),
});
const Result = z.looseObject({ Target: text, Misconfigurations: list(Misconfiguration, 1000) });
const Report = z.looseObject({ Results: z.array(z.unknown()) }).transform((r) => list(Result, 1000).parse(r.Results));

export const trivyReader: DocumentReader = {
  format: 'trivy',
  read(doc) {
    const results = Report.safeParse(doc);
    if (!results.success) return null;
    const refs = noRefs();
    for (const r of results.data) {
      for (const m of r.Misconfigurations) {
        if (m.Status && m.Status !== 'FAIL') continue;
        const cause = m.CauseMetadata;
        if (r.Target && r.Target !== '.')
          refs.locations.push({ file: r.Target, line: cause.StartLine, why: `trivy ${m.ID ?? ''} in ${r.Target}` });
        if (cause.Resource && terraformAddress(cause.Resource))
          refs.terraform.push({ address: cause.Resource, attribute: null, why: `trivy ${m.ID ?? ''}: ${cause.Resource}` });
      }
    }
    return refs;
  },
};
