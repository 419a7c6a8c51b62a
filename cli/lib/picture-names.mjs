import { basename, extname } from 'node:path';

/**
 * What each picture is called on stderr and in the state file, and the stem of its model's file
 * name: its file name and the name without extension, unless two pictures share them
 * (`a/item.png b/item.png`, `item.png item.jpg`). Then the picture is called by its path as given,
 * and a later picture's file gets `-2`, `-3`… so no model overwrites another made in this run
 * (a path named twice is told apart on stderr by `#2`).
 * @param {string[]} pictures paths as given, in order
 * @returns {Array<{ label: string, stem: string }>}
 */
export function namePictures(pictures) {
  const count = (/** @type {string[]} */ names, /** @type {string} */ name) =>
    names.filter((other) => other === name).length;
  const names = pictures.map((picture) => basename(picture));
  const stems = new Set();
  const labels = new Set();
  return pictures.map((picture, index) => {
    const base = basename(picture, extname(picture));
    let stem = base;
    for (let n = 2; stems.has(stem); n += 1) stem = `${base}-${n}`;
    stems.add(stem);
    const given = count(names, names[index]) > 1 ? picture : names[index];
    // The same path named twice: two tasks, told apart by their order.
    let label = given;
    for (let n = 2; labels.has(label); n += 1) label = `${given} #${n}`;
    labels.add(label);
    return { label, stem };
  });
}
