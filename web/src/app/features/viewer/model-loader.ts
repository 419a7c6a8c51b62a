import { Group } from 'three';
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { MeshoptDecoder } from 'three/examples/jsm/libs/meshopt_decoder.module.js';

import { DOWNLOAD_STALL_TIMEOUT_MS } from '../../core/api/request-timeouts';
import { DownloadStalledError, WholeResponse, fetchWhole } from '../../core/api/stall-bounded-fetch';

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

/**
 * Fetches the GLB itself (for its status and Last-Modified), then parses it. The download ends
 * as a network error (status 0) after DOWNLOAD_STALL_TIMEOUT_MS without a byte; `signal`
 * aborts it (rejecting with the signal's reason).
 */
export async function loadModel(url: string, signal?: AbortSignal): Promise<LoadedModel> {
  let response: WholeResponse;
  try {
    response = await fetchWhole(url, { signal }, DOWNLOAD_STALL_TIMEOUT_MS);
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ModelLoadError(0, error instanceof DownloadStalledError ? error.message : 'network error');
  }
  if (!response.ok) throw new ModelLoadError(response.status, `HTTP ${response.status}`);
  const buffer = response.body;
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
