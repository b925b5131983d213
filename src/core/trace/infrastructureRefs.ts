/**
 * Findings about infrastructure rather than code: the Kubernetes objects and Terraform resources a
 * finding names (read by the document readers in ./readers), and where the repository defines them
 * (kubernetesLocator, terraformLocator).
 */

export interface KubernetesRef {
  kind: string | null;
  name: string;
  namespace: string | null;
  /** A field path such as spec.template.spec.containers[0].securityContext.privileged. */
  field: string | null;
  why: string;
}

export interface TerraformRef {
  /** module.net.aws_security_group.web */
  address: string;
  attribute: string | null;
  why: string;
}

export interface InfraHit {
  path: string;
  line: number;
  reason: string;
  exact: boolean;
}

/** The files of the repository at the revision being searched, read on demand. */
export interface RepoFiles {
  /** Repository-relative paths. */
  files: string[];
  read(path: string): Promise<string | null>;
}

const tfAddress = /^(?:module\.[\w-]+(?:\[[^\]]{0,64}\])?\.)*(?:data\.)?[a-z][a-z0-9_]*\.[\w-]+(?:\[[^\]]{0,64}\])?$/;

export function terraformAddress(text: string): string | null {
  const t = text.trim();
  return t.length < 400 && tfAddress.test(t) ? t : null;
}

/** Kubernetes and Terraform references in a parsed JSON or YAML value (bounded walk). */
