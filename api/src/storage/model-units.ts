/**
 * The length of one unit of a painted mesh's coordinates (POST /api/texture's `units`, docs/design.md:
 * Texturing). A painted model keeps the mesh's triangles at their own place and scale, so this is
 * what its own size is in: its STL and 3MF are made at that size when no `size_mm` is asked for, and
 * its USDZ declares the unit (metersPerUnit). glTF's own unit, and Blender's OBJ and PLY export
 * default, is the metre: the default. A generated model has no own size (none of this applies).
 */
export const MESH_UNITS = ['m', 'cm', 'mm', 'in'] as const;
export type MeshUnits = (typeof MESH_UNITS)[number];

export const DEFAULT_MESH_UNITS: MeshUnits = 'm';

/** Millimetres in one unit (the formats tool's MILLIMETRES_PER_UNIT says the same). */
export const MILLIMETRES_PER_UNIT: Readonly<Record<MeshUnits, number>> = { m: 1000, cm: 10, mm: 1, in: 25.4 };

/** Each unit in words, as the formats' descriptions say it (formatDescription). */
export const UNIT_WORDS: Readonly<Record<MeshUnits, string>> = {
  m: 'metres',
  cm: 'centimetres',
  mm: 'millimetres',
  in: 'inches',
};

export function isMeshUnits(value: string): value is MeshUnits {
  return (MESH_UNITS as readonly string[]).includes(value);
}

/**
 * What is known of a painted model's own size, from its mesh as the intake read it (the engine keeps
 * the triangles where they are): the unit of its coordinates and its bounding box's sides (x, y, z
 * in glTF's axes, in that unit).
 */
export interface ModelOwnSize {
  units: MeshUnits;
  extent: [number, number, number];
}

/**
 * The longest side of a painted model at its own size, in millimetres rounded to 0.1 (what the
 * formats list and the web app's download menu show: "Own size (40 mm)"); e.g. {units: 'm',
 * extent: [0.02, 0.04, 0.015]} → 40.
 */
export function ownSizeMm(size: ModelOwnSize): number {
  const longest = Math.max(...size.extent) * MILLIMETRES_PER_UNIT[size.units];
  return Math.round(longest * 10) / 10;
}
