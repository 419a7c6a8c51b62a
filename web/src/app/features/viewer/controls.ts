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

/** One press of a Zoom in button (ZOOM_IN_STEP) and of Zoom out (its inverse): as one of '+' and '-'. */
export const ZOOM_IN_STEP = KEY_ZOOM_STEP;

/** One press of a Turn button: 30° about the vertical axis (12 presses go once round). */
export const TURN_STEP_RAD = Math.PI / 6;

/**
 * Turns the camera about the orbit target by `radians` around the world's vertical (Y) axis, its
 * distance and height kept: positive moves the camera round to its right (from +Z towards +X), so
 * the model seems to turn to the left. What a one-finger drag does, one step at a time, for
 * people who cannot drag (WCAG 2.2, 2.5.7 Dragging Movements).
 */
export function turnBy(controls: OrbitControls, camera: PerspectiveCamera, radians: number): void {
  const offset = new Vector3().subVectors(camera.position, controls.target);
  offset.applyAxisAngle(new Vector3(0, 1, 0), radians);
  camera.position.copy(controls.target).add(offset);
  controls.update();
}

/** Room kept between the near plane and the model's bounding sphere at the closest zoom. */
const NEAR_MARGIN = 0.02;

/**
 * How close and how far the camera may be from the orbit target (the model's centre), scaled
 * with the model so small and huge models feel the same. Closest: the near plane (at
 * `framing.near` in front of the camera; its nearest point to the centre is straight ahead) stays
 * outside the bounding sphere (`framing.radius`, the farthest vertex), so a pinch never puts the
 * camera, or what it clips away, inside the model. Farthest: five times the fitted distance.
 */
export function zoomLimits(framing: Framing): { minDistance: number; maxDistance: number } {
  return {
    minDistance: framing.radius * (1 + NEAR_MARGIN) + framing.near,
    maxDistance: framing.distance * 5,
  };
}

/** Aims the controls at the model's centre with zoomLimits, and keeps that as their reset state. */
export function fitControls(controls: OrbitControls, framing: Framing): void {
  controls.target.set(0, 0, 0);
  Object.assign(controls, zoomLimits(framing));
  controls.update();
  controls.saveState();
}
