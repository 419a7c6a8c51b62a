import { textureUploadDtoUnitsValues } from '../../core/api/generated/openapi';
import type { MessageKey } from '../../core/i18n/messages';

/**
 * The length of one unit of a mesh's coordinates (POST /api/texture's `units`): what its painted
 * model's own size is in (its STL and 3MF are made at it unless a size is asked, its USDZ says it).
 */
export type MeshUnits = (typeof textureUploadDtoUnitsValues)[number];

/** In the contract's order: m, cm, mm, in. */
export const MESH_UNITS: readonly MeshUnits[] = textureUploadDtoUnitsValues;

/** glTF's unit, and Blender's OBJ and PLY export default: the server's default too. */
export const DEFAULT_MESH_UNITS: MeshUnits = 'm';

/** Each unit's name in the select, and its symbol after a measured length. */
export const UNIT_NAME: Readonly<Record<MeshUnits, MessageKey>> = {
  m: 'mesh.unitName.m',
  cm: 'mesh.unitName.cm',
  mm: 'mesh.unitName.mm',
  in: 'mesh.unitName.in',
};
export const UNIT_SYMBOL: Readonly<Record<MeshUnits, MessageKey>> = {
  m: 'mesh.unitSymbol.m',
  cm: 'mesh.unitSymbol.cm',
  mm: 'mesh.unitSymbol.mm',
  in: 'mesh.unitSymbol.in',
};
