import { isSoftwareRenderer, rendererName } from './software-renderer';

describe('isSoftwareRenderer', () => {
  it.each([
    'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)',
    'Google SwiftShader',
    'llvmpipe (LLVM 15.0.6, 256 bits)',
    'softpipe',
    'ANGLE (Microsoft, Microsoft Basic Render Driver Direct3D11 vs_5_0 ps_5_0, D3D11)',
    'Apple Software Renderer',
    'Software Rasterizer',
  ])('knows %s draws on the CPU', (name) => {
    expect(isSoftwareRenderer(name)).toBe(true);
  });

  it.each([
    'ANGLE (NVIDIA, NVIDIA GeForce RTX 4090 Direct3D11 vs_5_0 ps_5_0, D3D11)',
    'ANGLE (Apple, ANGLE Metal Renderer: Apple M2, Unspecified Version)',
    'Apple GPU',
    'Adreno (TM) 740',
    'Mali-G78 MC24',
    'Mesa Intel(R) UHD Graphics 620 (KBL GT2)',
    'AMD Radeon RX 7800 XT (radeonsi, navi32, LLVM 17.0.6, DRM 3.54)',
    '',
  ])('takes %j for a GPU', (name) => {
    expect(isSoftwareRenderer(name)).toBe(false);
  });
});

describe('rendererName', () => {
  const RENDERER = 0x1f01;
  const UNMASKED_RENDERER_WEBGL = 0x9246;

  /**
   * A context that answers as a browser does: RENDERER, and WEBGL_debug_renderer_info's
   * UNMASKED_RENDERER_WEBGL when the extension is there; null for any other enum or extension
   * (WebGL's getParameter gives null, with INVALID_ENUM, for a name it does not know).
   */
  function contextAnswering(renderer: string, unmasked: string | undefined) {
    const asked: string[] = [];
    const gl = {
      RENDERER,
      getParameter(pname: GLenum): unknown {
        if (pname === RENDERER) return renderer;
        if (pname === UNMASKED_RENDERER_WEBGL && unmasked !== undefined && asked.length > 0) return unmasked;
        return null;
      },
      getExtension(name: string): WEBGL_debug_renderer_info | null {
        asked.push(name);
        return name === 'WEBGL_debug_renderer_info' && unmasked !== undefined
          ? { UNMASKED_RENDERER_WEBGL, UNMASKED_VENDOR_WEBGL: 0x9245 }
          : null;
      },
    };
    return { gl: gl as unknown as WebGL2RenderingContext, asked };
  }

  it('reads the unmasked name where RENDERER is masked (Chromium, Safari)', () => {
    const swiftShader =
      'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)';
    const { gl, asked } = contextAnswering('WebKit WebGL', swiftShader);
    expect(rendererName(gl)).toBe(swiftShader);
    expect(asked).toEqual(['WEBGL_debug_renderer_info']);
  });

  it("takes Firefox's RENDERER as it is, never asking for the extension it warns about", () => {
    const { gl, asked } = contextAnswering('llvmpipe, or similar', 'llvmpipe (LLVM 15.0.6, 256 bits)');
    expect(rendererName(gl)).toBe('llvmpipe, or similar');
    expect(asked).toEqual([]);
  });

  it('keeps the masked name when the extension is missing (privacy settings)', () => {
    const { gl } = contextAnswering('WebKit WebGL', undefined);
    expect(rendererName(gl)).toBe('WebKit WebGL');
    expect(isSoftwareRenderer(rendererName(gl))).toBe(false);
  });
});
