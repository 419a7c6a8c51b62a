import { MathUtils, PerspectiveCamera, Vector3 } from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';

import { Framing } from './framing';

/** Orbit controls with damping; they ask for a frame on every change instead of running a loop. */
export function createOrbitControls(
  camera: PerspectiveCamera,
  element: HTMLElement,
  requestRender: () => void,
): OrbitControls {
  const controls = new OrbitControls(camera, element);
  controls.enableDamping = true;
  controls.dampingFactor = 0.08;
  controls.autoRotateSpeed = 1.5;
  controls.screenSpacePanning = true;
  controls.addEventListener('change', requestRender);
  // Arrow keys pan when the canvas has focus (it is tabbable), for people without a pointer;
  // Shift (or Ctrl, Meta) + arrows turn (OrbitControls' own keys). Zoom is ours: it has none.
  controls.listenToKeyEvents(element);
  // Their defaults (7 px of pan, 1/height of a turn per press) barely show: a trial saw 0.3° a
  // press. 40 px and about 5° on a desktop canvas (2π × 12 / 860 px) move visibly.
  controls.keyPanSpeed = 40;
  controls.keyRotateSpeed = 12;
  element.addEventListener('keydown', (event) => {
    const factor = keyboardZoomFactor(event);
    if (factor === undefined) return;
    event.preventDefault();
    zoomBy(controls, camera, factor);
  });
  return controls;
}

/** One key press of zoom: the camera this much closer ('+') or farther ('-'). */
const KEY_ZOOM_STEP = 0.8;

/**
 * The distance factor a key asks for: '+' (or '=', its unshifted key) zooms in, '-' (or '_')
 * out; undefined for any other key, and with Ctrl, Meta or Alt (the browser's own page zoom).
 */
export function keyboardZoomFactor(
  event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey'>,
): number | undefined {
  if (event.ctrlKey || event.metaKey || event.altKey) return undefined;
  if (event.key === '+' || event.key === '=') return KEY_ZOOM_STEP;
  if (event.key === '-' || event.key === '_') return 1 / KEY_ZOOM_STEP;
  return undefined;
}

/**
 * Moves the camera along its line to the orbit target to `factor` × its distance, within the
 * controls' minDistance and maxDistance (what the wheel does, one step at a time).
 */
export function zoomBy(controls: OrbitControls, camera: PerspectiveCamera, factor: number): void {
  const offset = new Vector3().subVectors(camera.position, controls.target);
  const distance = MathUtils.clamp(offset.length() * factor, controls.minDistance, controls.maxDistance);
  camera.position.copy(controls.target).add(offset.setLength(distance));
  controls.update();
}

/** Zoom limits scale with the model so small and huge models feel the same. */
export function fitControls(controls: OrbitControls, framing: Framing): void {
  controls.target.set(0, 0, 0);
  controls.minDistance = framing.radius * 0.2;
  controls.maxDistance = framing.distance * 5;
  controls.update();
  controls.saveState();
}
