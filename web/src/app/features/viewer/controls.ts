import { PerspectiveCamera } from 'three';
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
  // Arrow keys pan when the canvas has focus (it is tabbable), for people without a pointer.
  controls.listenToKeyEvents(element);
  return controls;
}

/** Zoom limits scale with the model so small and huge models feel the same. */
export function fitControls(controls: OrbitControls, framing: Framing): void {
  controls.target.set(0, 0, 0);
  controls.minDistance = framing.radius * 0.2;
  controls.maxDistance = framing.distance * 5;
  controls.update();
  controls.saveState();
}
