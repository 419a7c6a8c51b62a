import { Group } from 'three';
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { MeshoptDecoder } from 'three/examples/jsm/libs/meshopt_decoder.module.js';

/** A parsed GLB with what its response said about the file. */
export interface LoadedModel {
  scene: Group;
  /** From the response's Last-Modified: when the server wrote the file. */
  lastModified: Date | undefined;
  bytes: number;
}

/** A model that could not be loaded: the HTTP status, 0 for a network failure, 422 for an unreadable GLB. */
export class ModelLoadError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let loader: GLTFLoader | undefined;

function gltfLoader(): GLTFLoader {
  // The web GLBs use EXT_meshopt_compression; the decoder is inline WebAssembly, nothing to fetch.
  loader ??= new GLTFLoader().setMeshoptDecoder(MeshoptDecoder);
  return loader;
}

/** Fetches the GLB itself (for its status and Last-Modified), then parses it. */
export async function loadModel(url: string, signal?: AbortSignal): Promise<LoadedModel> {
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ModelLoadError(0, 'network error');
  }
  if (!response.ok) throw new ModelLoadError(response.status, `HTTP ${response.status}`);
  const buffer = await response.arrayBuffer();
  const header = response.headers.get('Last-Modified');
  const parsedDate = header ? Date.parse(header) : Number.NaN;
  let gltf;
  try {
    gltf = await gltfLoader().parseAsync(buffer, '');
  } catch (error) {
    throw new ModelLoadError(422, error instanceof Error ? error.message : 'invalid GLB');
  }
  return {
    scene: gltf.scene,
    lastModified: Number.isNaN(parsedDate) ? undefined : new Date(parsedDate),
    bytes: buffer.byteLength,
  };
}
