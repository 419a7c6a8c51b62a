/**
 * Names that WebGL implementations drawing on the CPU give as their renderer: Chromium's
 * SwiftShader ("ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader
 * driver)", Debian's Chromium here), Mesa's llvmpipe and softpipe ("llvmpipe (LLVM 15.0.6, 256
 * bits)"), Windows' WARP ("ANGLE (Microsoft, Microsoft Basic Render Driver Direct3D11 vs_5_0
 * ps_5_0, D3D11)") and Apple's software renderer. A browser falls back to one of them on a machine
 * whose GPU it does not use (a VM, a remote desktop, a blocklisted driver).
 */
const SOFTWARE_RENDERER =
  /swiftshader|llvmpipe|softpipe|software (?:rasterizer|renderer)|basic render driver/i;

/** What Chromium and Safari answer for RENDERER: the real name is behind WEBGL_debug_renderer_info. */
const MASKED_RENDERER = 'WebKit WebGL';

/**
 * The renderer the context reports. Firefox (92+) gives its sanitised name as RENDERER and warns
 * in the console that WEBGL_debug_renderer_info is deprecated ("Please use RENDERER", Mozilla bug
 * 1722782), so the extension is asked only where RENDERER is masked.
 */
export function rendererName(gl: WebGLRenderingContext | WebGL2RenderingContext): string {
  const plain = String(gl.getParameter(gl.RENDERER) ?? '');
  if (plain !== MASKED_RENDERER) return plain;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  return (info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL) ?? '') : '') || plain;
}

/**
 * Whether `renderer` (rendererName) draws on the CPU, where a GPU-bound extra such as the
 * environment map's bake costs seconds of every core instead of milliseconds.
 */
export function isSoftwareRenderer(renderer: string): boolean {
  return SOFTWARE_RENDERER.test(renderer);
}
