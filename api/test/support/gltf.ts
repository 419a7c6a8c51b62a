import { createRequire } from 'node:module';

interface ValidationReport {
  issues: {
    numErrors: number;
    numWarnings: number;
    messages: { code: string; message: string; severity: number }[];
  };
}
interface GltfValidator {
  validateBytes(data: Uint8Array, options?: { maxIssues?: number }): Promise<ValidationReport>;
}

// The package ships no types; loaded through require so the one function used is typed here.
const validator = createRequire(__filename)('gltf-validator') as GltfValidator;

/** Khronos glTF-Validator: the number of errors and the first few messages. */
export async function gltfErrors(bytes: Uint8Array): Promise<{ count: number; first: string[] }> {
  const report = await validator.validateBytes(bytes, { maxIssues: 50 });
  return {
    count: report.issues.numErrors,
    first: report.issues.messages
      .filter((m) => m.severity === 0)
      .slice(0, 5)
      .map((m) => `${m.code}: ${m.message}`),
  };
}

export interface GltfIssue {
  code: string;
  message: string;
  /** 0 error, 1 warning, 2 info, 3 hint. */
  severity: number;
  pointer?: string;
}

/** Every issue glTF-Validator reports (up to 200), with the error count. */
export async function gltfIssues(bytes: Uint8Array): Promise<{ errors: number; issues: GltfIssue[] }> {
  const report = (await validator.validateBytes(bytes, { maxIssues: 200 })) as ValidationReport & {
    issues: { messages: GltfIssue[] };
  };
  return { errors: report.issues.numErrors, issues: report.issues.messages };
}

/**
 * The issues a web-optimised model adds to its source's, as [code, severity, names meshopt]:
 * glTF-Validator cannot decode meshopt data, so the tests expect exactly one such remark.
 */
export function issuesAddedByOptimisation(
  source: GltfIssue[],
  web: GltfIssue[],
): [code: string, severity: number, namesMeshopt: boolean][] {
  const sourceCodes = new Set(source.map((issue) => issue.code));
  return web
    .filter((issue) => !sourceCodes.has(issue.code))
    .map((issue) => [issue.code, issue.severity, issue.message.includes("'EXT_meshopt_compression'")]);
}
