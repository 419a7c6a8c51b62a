import { Mesh, Object3D } from 'three';

import { formatBytes } from '../../core/api/model-formats';
import { pluralKey } from '../../core/i18n/i18n';
import { MessageKey } from '../../core/i18n/messages';
import type { ViewerState } from './model-viewer';

/**
 * Triangles drawn for a model: per mesh, its index count ÷ 3 (or vertex count ÷ 3 without an
 * index), times the instance count of an instanced mesh. Points and lines count nothing.
 */
export function countTriangles(root: Object3D): number {
  let triangles = 0;
  root.traverse((object) => {
    const mesh = object as Mesh & { isInstancedMesh?: boolean; count?: number };
    if (!mesh.isMesh) return;
    const geometry = mesh.geometry;
    const vertices = geometry.index?.count ?? geometry.getAttribute('position')?.count ?? 0;
    const instances = mesh.isInstancedMesh ? (mesh.count ?? 1) : 1;
    triangles += Math.floor(vertices / 3) * instances;
  });
  return triangles;
}

/** What the text description of the viewer is made from. */
export interface ModelFacts {
  state: ViewerState;
  /** The person's own mesh is shown (grey) or was painted: texture mode. */
  ownMesh: boolean;
  /** The picture's file name, where the page knows it (not on a share page, not after a reload). */
  pictureName: string | undefined;
  /** Triangles of the shown model (countTriangles); undefined before one is shown. */
  triangles: number | undefined;
  /** Bytes of the loaded file; undefined for the person's own mesh. */
  bytes: number | undefined;
  /** Whether the toolbar offers the Download menu (a model stored on the server). */
  downloadable: boolean;
  /** The small level of detail is drawn while the full model still loads. */
  lod: boolean;
}

type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

/**
 * The viewer in words, for people who cannot see the canvas (aria-describedby): what the model
 * is, made from which picture, its triangles and file size, whether the full detail is still
 * loading, and how to download it. '' while
 * nothing is shown (the overlay says loading, or what went wrong).
 */
export function describeModel(facts: ModelFacts, t: Translate, locale: string): string {
  const picture = facts.pictureName;
  const parts: string[] = [];
  switch (facts.state) {
    case 'preview':
      parts.push(picture ? t('viewer.about.preview', { picture }) : t('viewer.about.previewNoPicture'));
      break;
    case 'mesh':
      parts.push(t('viewer.about.mesh'));
      break;
    case 'ready':
      if (facts.ownMesh) {
        parts.push(picture ? t('viewer.about.painted', { picture }) : t('viewer.about.paintedNoPicture'));
      } else {
        // Without the picture (a share page) it may be a painted mesh as well as a generation.
        parts.push(picture ? t('viewer.about.model', { picture }) : t('viewer.about.modelNoPicture'));
      }
      break;
    case 'loading':
    case 'error':
    case 'no-webgl':
      return ''; // the overlay says it
  }
  const triangles =
    facts.triangles === undefined ? undefined : new Intl.NumberFormat(locale).format(facts.triangles);
  if (triangles !== undefined && facts.bytes !== undefined && facts.state === 'ready') {
    parts.push(
      t(pluralKey(locale, facts.triangles ?? 0, 'viewer.about.sizeAndFileOne', 'viewer.about.sizeAndFile'), {
        triangles,
        size: formatBytes(facts.bytes, locale),
      }),
    );
  } else if (triangles !== undefined && facts.state !== 'preview') {
    parts.push(
      t(pluralKey(locale, facts.triangles ?? 0, 'viewer.about.sizeOne', 'viewer.about.size'), { triangles }),
    );
  }
  if (facts.state === 'ready' && facts.lod) parts.push(t('viewer.about.lod'));
  if (facts.state === 'ready' && facts.downloadable) parts.push(t('viewer.about.download'));
  // Chinese sentences end in a full-width stop and need no space between them.
  return parts.join(locale.startsWith('zh') ? '' : ' ');
}
