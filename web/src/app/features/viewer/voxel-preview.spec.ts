import { CLAY_RGB, PictureData, decodeVoxels, objectBox, voxelColours } from './voxel-preview';

function bytes(values: number[]): ArrayBuffer {
  return new Uint8Array(values).buffer;
}

/** A picture of `width` x `height`, transparent, with `paint(x, y)` giving the opaque pixels' RGB. */
function picture(
  width: number,
  height: number,
  paint: (x: number, y: number) => number[] | undefined,
): PictureData {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const rgb = paint(x, y);
      if (rgb) data.set([...rgb, 255], (y * width + x) * 4);
    }
  }
  return { width, height, data };
}

describe('decodeVoxels', () => {
  it('reads one byte per axis (xyz8) and uint16 little-endian (xyz16le)', () => {
    expect(Array.from(decodeVoxels(bytes([0, 1, 2, 31, 30, 29]), 32, 'xyz8').coords)).toEqual([
      0, 1, 2, 31, 30, 29,
    ]);
    const wide = decodeVoxels(bytes([44, 1, 1, 0, 2, 0]), 512, 'xyz16le');
    expect(wide.count).toBe(1);
    expect(Array.from(wide.coords)).toEqual([300, 1, 2]);
  });

  it('refuses what is not a preview', () => {
    expect(() => decodeVoxels(bytes([0, 1]), 32, 'xyz8')).toThrowError(/whole triplets/);
    expect(() => decodeVoxels(bytes([0, 1, 32]), 32, 'xyz8')).toThrowError(/off the 32³ grid/);
    expect(() => decodeVoxels(bytes([0, 1, 2]), 0, 'xyz8')).toThrowError(/resolution/);
    expect(() => decodeVoxels(bytes([0, 1, 2]), 32, 'bits')).toThrowError(/encoding/);
    expect(() => decodeVoxels(new ArrayBuffer(3 * 40_000), 32, 'xyz8')).toThrowError(/over the limit/);
  });
});

describe('objectBox', () => {
  it('is what the alpha channel keeps, when the picture has transparency', () => {
    const pic = picture(20, 10, (x, y) => (x >= 5 && x < 15 && y >= 2 && y < 8 ? [200, 0, 0] : undefined));
    expect(objectBox(pic)).toEqual({ left: 5, top: 2, right: 15, bottom: 8 });
  });

  it('is what differs from the corners, on an opaque picture', () => {
    const pic = picture(20, 10, (x, y) =>
      x >= 3 && x < 6 && y >= 4 && y < 9 ? [0, 0, 200] : [250, 250, 250],
    );
    expect(objectBox(pic)).toEqual({ left: 3, top: 4, right: 6, bottom: 9 });
  });
});

describe('voxelColours', () => {
  it("projects each voxel onto the front view: x across, y up, the voxels' extent over the object's box", () => {
    // Object: left half red, right half green, top row blue; picture 40 x 40 with the object at 10..30.
    const pic = picture(40, 40, (x, y) => {
      if (x < 10 || x >= 30 || y < 10 || y >= 30) return undefined;
      if (y < 12) return [0, 0, 255];
      return x < 20 ? [255, 0, 0] : [0, 255, 0];
    });
    // Voxels on a 16³ grid spanning x 4..11, y 4..11; z does not matter (front projection).
    const coords = [4, 6, 9, 11, 6, 0, 7, 11, 3, 4, 4, 4, 11, 11, 11];
    const grid = { resolution: 16, count: 5, coords: Uint16Array.from(coords) };
    const colours = Array.from(voxelColours(grid, pic)).map((c) => Math.round(c * 255));
    expect(colours.slice(0, 3)).toEqual([255, 0, 0]); // left, middle height
    expect(colours.slice(3, 6)).toEqual([0, 255, 0]); // right
    expect(colours.slice(6, 9)).toEqual([0, 0, 255]); // top row (y = 11 is the top)
    expect(colours.slice(9, 12)).toEqual([255, 0, 0]); // bottom left
    expect(colours.slice(12, 15)).toEqual([0, 0, 255]); // top right
  });

  it('is clay without a picture', () => {
    const grid = { resolution: 8, count: 2, coords: Uint16Array.from([0, 0, 0, 1, 1, 1]) };
    expect(Array.from(voxelColours(grid, undefined))).toEqual(
      [...CLAY_RGB, ...CLAY_RGB].map((c) => Math.fround(c)),
    );
  });
});
