import type { ParsedMesh } from './mesh-file-loader';
import type { MeshKind } from './mesh-validation';

/** A mesh that passed the browser's checks: the file to send, its name, and its grey preview. */
export interface PickedMesh {
  file: Blob;
  /** The name it is sent under (the file's own, or mesh.{kind}). */
  name: string;
  kind: MeshKind;
  bytes: number;
  /** Parsed by three's loader and painted grey; the viewer borrows `parsed.object`. */
  parsed: ParsedMesh;
}
