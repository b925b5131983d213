/** What a pasted finding says, as the trace reads it: code locations and what identifies the revision. */
import type { KubernetesRef, TerraformRef } from './infrastructureRefs';

export interface TraceLocation {
  file: string;
  line: number | null;
  column: number | null;
  function: string | null;
  /** Where it came from: a frame of a stack trace (with its position), a SARIF result, a field. */
  source: 'frame' | 'sarif' | 'field' | 'service';
  /** 0 for the innermost frame or the first result. */
  index: number;
  language: string | null;
  raw: string;
  /** The source text the trace quotes for the frame (Python tracebacks, Go recovery middleware). */
  sourceText?: string;
}

export interface RevisionHints {
  commit: string | null;
  artifact: string | null;
  release: string | null;
  environment: string | null;
  time: string | null;
  findingId: string | null;
}

export interface FindingInput {
  kind:
    | 'stack-trace'
    | 'sarif'
    | 'code-scanning-alert'
    | 'cdevents-incident'
    | 'json-alert'
    | 'finding-reference'
    | 'kubernetes'
    | 'terraform'
    | 'scanner-report'
    | 'unknown';
  locations: TraceLocation[];
  kubernetes: KubernetesRef[];
  terraform: TerraformRef[];
  hints: RevisionHints;
  messages: string[];
}

export function emptyHints(): RevisionHints {
  return { commit: null, artifact: null, release: null, environment: null, time: null, findingId: null };
}
