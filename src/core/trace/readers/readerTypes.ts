/** What the readers of infrastructure and scanner documents find: objects, resources and file locations. */
import type { KubernetesRef, TerraformRef } from '../infrastructureRefs';

export interface ScannerLocation {
  file: string;
  line: number | null;
  why: string;
}

export interface InfraRefs {
  kubernetes: KubernetesRef[];
  terraform: TerraformRef[];
  locations: ScannerLocation[];
}

/** One format: what it finds in a parsed document, or null when the document is not of this format. */
export interface DocumentReader {
  readonly format: string;
  read(doc: Record<string, unknown>): InfraRefs | null;
}

export const noRefs = (): InfraRefs => ({ kubernetes: [], terraform: [], locations: [] });
