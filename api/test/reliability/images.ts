import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

/**
 * Inputs for the upload cases, made in the test (no binaries committed): sharp for ordinary
 * pictures, small byte builders for what sharp will not write (APNG, lying headers, bombs).
 */

export type Rgb = readonly [number, number, number];

export const RED: Rgb = [230, 20, 20];
export const GREEN: Rgb = [20, 200, 40];
export const BLUE: Rgb = [20, 40, 230];
export const YELLOW: Rgb = [240, 220, 20];

/** Raw RGB pixels, row-major. */
export interface RawImage {
  width: number;
  height: number;
  data: Buffer;
}

/** A picture in four coloured quadrants (top-left red, top-right green, bottom-left blue, bottom-right yellow). */
export function quadrants(width: number, height: number): RawImage {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const colour = y < height / 2 ? (x < width / 2 ? RED : GREEN) : x < width / 2 ? BLUE : YELLOW;
      data.set(colour, (y * width + x) * 3);
    }
  }
  return { width, height, data };
}

/**
 * The pixels a camera stores for an upright picture `u` with EXIF orientation `o` (1-8): the
 * inverse of the transform a viewer applies (EXIF 2.32, tag 0x0112: where row 0 and column 0 of
 * the stored picture belong). Written per pixel so it does not lean on the library under test.
 */
export function storedForOrientation(u: RawImage, o: number): RawImage {
  const { width: w, height: h } = u;
  const swap = o >= 5;
  const sw = swap ? h : w;
  const sh = swap ? w : h;
  const source = (x: number, y: number): [number, number] => {
    switch (o) {
      case 1:
        return [x, y];
      case 2:
        return [w - 1 - x, y];
      case 3:
        return [w - 1 - x, h - 1 - y];
      case 4:
        return [x, h - 1 - y];
      case 5:
        return [y, x];
      case 6:
        return [w - 1 - y, x];
      case 7:
        return [w - 1 - y, h - 1 - x];
      case 8:
        return [y, h - 1 - x];
      default:
        throw new Error(`orientation ${o}`);
    }
  };
  const data = Buffer.alloc(sw * sh * 3);
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < sw; x++) {
      const [ux, uy] = source(x, y);
      u.data.copy(data, (y * sw + x) * 3, (uy * w + ux) * 3, (uy * w + ux) * 3 + 3);
    }
  }
  return { width: sw, height: sh, data };
}

export function rawToSharp(image: RawImage): sharp.Sharp {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
}

/** A plain picture of a disc on white: something to model. */
export async function discPng(size = 256, colour: Rgb = RED): Promise<Buffer> {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}">` +
    `<rect width="100%" height="100%" fill="white"/>` +
    `<circle cx="${size / 2}" cy="${size / 2}" r="${size / 3}" fill="rgb(${colour.join(',')})"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/**
 * A picture with content everywhere (Gaussian noise around mid grey, 3 channels; with `alpha`, a
 * half-opaque alpha channel), so no blankness check refuses it: only the check under test can.
 */
export function noisy(width: number, height: number, alpha = false): sharp.Sharp {
  const image = sharp({
    create: {
      width,
      height,
      channels: 3,
      background: { r: 0, g: 0, b: 0 },
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  });
  return alpha ? image.ensureAlpha(0.5) : image;
}

export function solid(width: number, height: number, colour: Rgb, alpha?: number): sharp.Sharp {
  const background =
    alpha === undefined
      ? { r: colour[0], g: colour[1], b: colour[2] }
      : { r: colour[0], g: colour[1], b: colour[2], alpha: alpha / 255 };
  return sharp({ create: { width, height, channels: alpha === undefined ? 3 : 4, background } });
}

/** Two frames (red, then blue) as an animated WebP, or a GIF. */
export async function animated(format: 'webp' | 'gif', frames = 2): Promise<Buffer> {
  const colours = [RED, BLUE, GREEN];
  const pngs = await Promise.all(
    Array.from({ length: frames }, (_, i) => discPng(128, colours[i % colours.length])),
  );
  const joined = sharp(pngs, { join: { animated: true } });
  return format === 'webp' ? joined.webp({ loop: 0 }).toBuffer() : joined.gif({ loop: 0 }).toBuffer();
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function ihdr(width: number, height: number, bitDepth: number, colourType: number): Buffer {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width, 0);
  data.writeUInt32BE(height, 4);
  data[8] = bitDepth;
  data[9] = colourType;
  return chunk('IHDR', data);
}

/** A PNG whose IHDR claims width x height (RGB, 8 bit) and whose data is a few bytes. */
export function lyingPngHeader(width: number, height: number): Buffer {
  return Buffer.concat([
    PNG_SIGNATURE,
    ihdr(width, height, 8, 2),
    chunk('IDAT', deflateSync(Buffer.alloc(64))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * A 1-bit greyscale PNG bomb: width x height pixels, all black except `mark` (a white square in
 * the middle, or none), compressed by zlib to a few kilobytes.
 */
export function oneBitBomb(width: number, height: number, mark: boolean): Buffer {
  const rowBytes = Math.ceil(width / 8) + 1;
  const raw = Buffer.alloc(rowBytes * height);
  if (mark) {
    const side = Math.floor(Math.min(width, height) / 4);
    const x0 = Math.floor((width - side) / 2 / 8);
    const y0 = Math.floor((height - side) / 2);
    for (let y = y0; y < y0 + side; y++)
      raw.fill(0xff, y * rowBytes + 1 + x0, y * rowBytes + 1 + x0 + side / 8);
  }
  return Buffer.concat([
    PNG_SIGNATURE,
    ihdr(width, height, 1, 0),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Splits a PNG into its chunks (type, data), after the signature. */
function pngChunks(png: Buffer): { type: string; data: Buffer }[] {
  const chunks: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    chunks.push({
      type: png.toString('latin1', at + 4, at + 8),
      data: png.subarray(at + 8, at + 8 + length),
    });
    at += 12 + length;
  }
  return chunks;
}

/**
 * An APNG of two frames (red disc, then blue disc): the first frame is the default image
 * (IDAT), the second an fdAT. A reader that knows no APNG sees the first frame only.
 */
export async function apng(): Promise<Buffer> {
  const first = pngChunks(await discPng(128, RED));
  const second = pngChunks(await discPng(128, BLUE));
  const header = first.find((c) => c.type === 'IHDR')!;
  const fctl = (sequence: number): Buffer => {
    const data = Buffer.alloc(26);
    data.writeUInt32BE(sequence, 0);
    data.writeUInt32BE(header.data.readUInt32BE(0), 4);
    data.writeUInt32BE(header.data.readUInt32BE(4), 8);
    data.writeUInt16BE(1, 20); // delay 1/10 s
    data.writeUInt16BE(10, 22);
    return chunk('fcTL', data);
  };
  const actl = Buffer.alloc(8);
  actl.writeUInt32BE(2, 0);
  const idat = Buffer.concat(first.filter((c) => c.type === 'IDAT').map((c) => c.data));
  const secondData = Buffer.concat(second.filter((c) => c.type === 'IDAT').map((c) => c.data));
  const sequence = Buffer.alloc(4);
  sequence.writeUInt32BE(2);
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', header.data),
    chunk('acTL', actl),
    fctl(0),
    chunk('IDAT', idat),
    fctl(1),
    chunk('fdAT', Buffer.concat([sequence, secondData])),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A valid PNG of exactly `bytes` bytes: a picture plus a private ancillary chunk of filler. */
export async function pngOfSize(bytes: number): Promise<Buffer> {
  const png = await discPng(256);
  const iend = png.length - 12;
  const filler = bytes - png.length - 12;
  if (filler < 0) throw new Error('too small a size');
  const padded = Buffer.concat([
    png.subarray(0, iend),
    chunk('prVt', Buffer.alloc(filler, 0x5a)),
    png.subarray(iend),
  ]);
  if (padded.length !== bytes) throw new Error(`size ${padded.length} != ${bytes}`);
  return padded;
}

/** The colour at (x, y) of a decoded picture, as RGB. */
export async function pixelAt(
  png: Buffer,
  x: number,
  y: number,
): Promise<{ rgb: Rgb; width: number; height: number }> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return { rgb: [data[at], data[at + 1], data[at + 2]], width: info.width, height: info.height };
}

/** True when two colours are within `tolerance` on every channel. */
export function near(a: Rgb, b: Rgb, tolerance = 40): boolean {
  return a.every((v, i) => Math.abs(v - b[i]) <= tolerance);
}
