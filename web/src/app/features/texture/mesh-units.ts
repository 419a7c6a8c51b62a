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

/** Millimetres in one unit (the api's MILLIMETRES_PER_UNIT). */
export const MILLIMETRES_PER_UNIT: Readonly<Record<MeshUnits, number>> = { m: 1000, cm: 10, mm: 1, in: 25.4 };

/**
 * The longest side a painted mesh plausibly has at its own size, in millimetres: its STL and 3MF
 * are made at that size, and AR shows it so. Under 1 mm nothing is printed (an FDM nozzle is 0.4
 * mm wide) or seen in AR; over 10 m is beyond a room or a house (an architect's building is
 * legitimate: only a question, never a refusal). The common slip, a part drawn in millimetres
 * sent as glTF's metres, makes any part from 10 mm up 10 m or more; a model in metres sent as
 * millimetres makes anything under 1 m less than 1 mm.
 */
export const PLAUSIBLE_MM = { min: 1, max: 10_000 } as const;

/** Why the units chosen look wrong for a mesh, and the units that look right. */
export interface UnitsDoubt {
  /** Its longest side in the units chosen is over PLAUSIBLE_MM.max ('large') or under its min ('small'). */
  kind: 'large' | 'small';
  /** That longest side, in the units chosen. */
  longest: number;
  /**
   * The units it was likely drawn in, as slicers guess (PrusaSlicer, Cura: "the object appears
   * to be in metres / inches"): too large, the millimetre (a CAD or printing tool's unit); too
   * small, glTF's metre. Undefined when those are the units chosen, or would not make it plausible.
   */
  likely: MeshUnits | undefined;
}

/**
 * Whether a mesh of this bounding box (`extent`, in its file's coordinates) is implausibly large
 * or small in `units` (PLAUSIBLE_MM), and what it likely is instead; undefined when plausible.
 */
export function doubtUnits(extent: readonly number[], units: MeshUnits): UnitsDoubt | undefined {
  const longest = Math.max(...extent);
  if (!(longest > 0) || !Number.isFinite(longest)) return undefined; // flat to a point: nothing to judge
  const plausible = (unit: MeshUnits): boolean => {
    const mm = longest * MILLIMETRES_PER_UNIT[unit];
    return mm >= PLAUSIBLE_MM.min && mm <= PLAUSIBLE_MM.max;
  };
  if (plausible(units)) return undefined;
  const kind = longest * MILLIMETRES_PER_UNIT[units] > PLAUSIBLE_MM.max ? 'large' : 'small';
  const guess: MeshUnits = kind === 'large' ? 'mm' : 'm';
  return { kind, longest, likely: guess !== units && plausible(guess) ? guess : undefined };
}
