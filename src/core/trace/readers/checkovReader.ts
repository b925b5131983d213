/** checkov's JSON report: results.failed_checks[] with a file, its line range and the resource. */
import { z } from 'zod';
import { terraformAddress } from '../infrastructureRefs';
import { noRefs, type DocumentReader } from './readerTypes';
import { list, position, text } from './tolerant';

const FailedCheck = z.looseObject({
  check_id: text,
  file_path: text,
  resource: text,
  file_line_range: z.unknown().transform((v) => position.parse(Array.isArray(v) ? v[0] : undefined)),
});
const Report = z
  .looseObject({ results: z.looseObject({ failed_checks: z.array(z.unknown()) }) })
  .transform((r) => list(FailedCheck, 5000).parse(r.results.failed_checks));

export const checkovReader: DocumentReader = {
  format: 'checkov',
  read(doc) {
    const checks = Report.safeParse(doc);
    if (!checks.success) return null;
    const refs = noRefs();
    for (const c of checks.data) {
      if (c.file_path)
        refs.locations.push({
          file: c.file_path.replace(/^\//, ''),
          line: c.file_line_range,
          why: `checkov ${c.check_id ?? ''} on ${c.resource ?? c.file_path}`,
        });
      if (c.resource && terraformAddress(c.resource))
        refs.terraform.push({ address: c.resource, attribute: null, why: `checkov ${c.check_id ?? ''}` });
    }
    return refs;
  },
};
