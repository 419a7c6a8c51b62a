import { ApiError, ErrorCode } from './api-types';
import { describeError } from './error-messages';
import { errorCodeValues } from './generated/openapi';
import { type MessageKey, ZH } from '../i18n/messages';

function describe10(error: ApiError): ReturnType<typeof describeError> {
  return describeError(error, 10);
}

const coded = (status: number, code: ErrorCode, error = '', retryAfterS?: number): ApiError =>
  retryAfterS === undefined ? { status, code, error } : { status, code, error, retryAfterS };

describe('describeError', () => {
  it('maps each code of the contract to its explanation', () => {
    expect(describe10(coded(400, 'unsupported_image')).key).toBe('error.unsupported');
    expect(describe10(coded(422, 'image_too_small'))).toEqual({
      key: 'error.tooSmall',
      params: {},
      retryable: false,
    });
    expect(describe10(coded(422, 'image_too_large'))).toEqual({
      key: 'error.tooManyPixels',
      params: {},
      retryable: false,
    });
    expect(describe10(coded(422, 'no_object'))).toEqual({
      key: 'error.noObject',
      params: {},
      retryable: false,
    });
    expect(describe10(coded(413, 'file_too_large', 'File too large, max 7MB'))).toEqual({
      key: 'error.tooLarge',
      params: { max: 10 },
      retryable: false,
    });
    expect(describe10(coded(504, 'generation_timeout')).key).toBe('error.timeout');
    expect(describe10(coded(500, 'gpu_out_of_memory')).key).toBe('error.oom');
    expect(describe10(coded(500, 'internal_error')).key).toBe('error.internal');
    expect(describe10(coded(404, 'task_not_found')).key).toBe('error.notFound');
    expect(describe10(coded(409, 'task_cancelled')).key).toBe('progress.cancelled');
  });

  it('decides by the code, never by the words', () => {
    // The same words with another code, and other words with the code, are judged by the code.
    expect(describe10(coded(500, 'internal_error', 'GPU out of memory')).key).toBe('error.internal');
    expect(describe10(coded(500, 'gpu_out_of_memory', 'whatever the server says')).key).toBe('error.oom');
    // No code: the words are not read, only the status.
    expect(describe10({ status: 500, code: undefined, error: 'GPU out of memory' })).toEqual({
      key: 'error.other',
      params: { message: 'GPU out of memory' },
      retryable: true,
    });
  });

  it("explains POST /api/texture's refusals of the mesh by their codes", () => {
    expect(describeError(coded(413, 'mesh_too_large', 'any words'), 10, 50)).toEqual({
      key: 'error.meshTooLarge',
      params: { max: 50 },
      retryable: false,
    });
    // The picture's limit stays the picture's.
    expect(describeError(coded(413, 'file_too_large'), 10, 50).params).toEqual({ max: 10 });
    expect(describe10(coded(400, 'unsupported_mesh')).key).toBe('error.meshUnsupported');
    expect(describe10(coded(422, 'mesh_no_faces')).key).toBe('error.meshNoFaces');
    expect(describe10(coded(422, 'mesh_not_finite')).key).toBe('error.meshNotFinite');
    expect(describe10(coded(422, 'mesh_too_many_faces')).key).toBe('error.meshTooManyFaces');
    // The server's words name the faces and the limit: shown inside the page's sentence.
    expect(describe10(coded(422, 'mesh_too_many_faces', 'The mesh has 250000 faces, max 200000'))).toEqual({
      key: 'error.meshTooManyFacesSaid',
      params: { message: 'The mesh has 250000 faces, max 200000' },
      retryable: false,
    });
    expect(describe10(coded(503, 'meshes_busy', '', 20))).toEqual({
      key: 'error.meshesBusy',
      params: { seconds: 20 },
      retryable: true,
      afterWait: 'error.meshesBusyNoDelay',
    });
    expect(
      describe10(coded(400, 'unexpected_mesh_file', 'Send one file in "mesh" and one in "image"')).key,
    ).toBe('error.other');
    expect(describe10(coded(422, 'mesh_compressed')).key).toBe('error.meshCompressed');
    // A request the page built wrong: the server's words.
    expect(describe10(coded(400, 'missing_mesh', 'Missing file field "mesh"'))).toEqual({
      key: 'error.other',
      params: { message: 'Missing file field "mesh"' },
      retryable: false,
    });
    // Without a second limit, MAX_MESH_MB's documented default.
    expect(describe10(coded(413, 'mesh_too_large')).params).toEqual({ max: 50 });
  });

  it('explains every code the contract has', () => {
    for (const code of errorCodeValues) {
      const description = describe10(coded(400, code, 'words'));
      expect(description.key, code).toBeTruthy();
    }
  });

  it('tells how long to wait when the server is busy', () => {
    expect(describe10(coded(503, 'server_busy', '', 20))).toEqual({
      key: 'error.busy',
      params: { seconds: 20 },
      retryable: true,
      afterWait: 'error.busyNoDelay',
    });
    expect(describe10(coded(503, 'server_busy')).key).toBe('error.busyNoDelay');
    expect(describe10(coded(503, 'decode_busy', '', 10))).toEqual({
      key: 'error.decodeBusy',
      params: { seconds: 10 },
      retryable: true,
      afterWait: 'error.decodeBusyNoDelay',
    });
    expect(describe10(coded(408, 'request_timeout')).key).toBe('error.requestTimeout');
  });

  it('tells how long to wait after too many requests, and that a refused sign-in is not retried', () => {
    expect(describe10(coded(429, 'too_many_requests', '', 42))).toEqual({
      key: 'error.tooMany',
      params: { seconds: 42 },
      retryable: true,
      afterWait: 'error.tooManyNoDelay',
    });
    expect(describe10(coded(429, 'too_many_requests')).key).toBe('error.tooManyNoDelay');
    expect(describe10(coded(401, 'unauthorized'))).toEqual({
      key: 'error.unauthorized',
      params: {},
      retryable: false,
    });
  });

  it('uses the status when the answer had no code (a proxy, the network)', () => {
    expect(describe10({ status: 413, code: undefined, error: '' }).params).toEqual({ max: 10 });
    expect(describe10({ status: 504, code: undefined, error: '' }).key).toBe('error.timeout');
    expect(describe10({ status: 503, code: undefined, error: '', retryAfterS: 5 }).key).toBe('error.busy');
    expect(describe10({ status: 0, code: undefined, error: '' }).key).toBe('error.network');
    expect(describe10({ status: 404, code: undefined, error: '' }).key).toBe('error.notFound');
    expect(describe10({ status: 502, code: undefined, error: '' }).key).toBe('error.internal');
  });

  it("shows the server's words for a code the page has no sentence for", () => {
    const quality =
      'Unavailable quality: high takes about 212 s here, over the 180 s job limit; use fast or balanced';
    expect(describe10(coded(422, 'unavailable_quality', quality))).toEqual({
      key: 'error.other',
      params: { message: quality },
      retryable: false,
    });
    expect(describe10(coded(400, 'invalid_option', 'Invalid seed: an integer')).params).toEqual({
      message: 'Invalid seed: an integer',
    });
  });

  it("an operator's pause of new tasks, and a download's files all being made, say when to try again", () => {
    const paused = 'Not taking new tasks right now, retry later';
    expect(describe10(coded(503, 'admissions_paused', paused, 60))).toEqual({
      key: 'error.paused',
      params: { seconds: 60 },
      retryable: true,
      afterWait: 'error.pausedNoDelay',
    });
    expect(describe10(coded(503, 'admissions_paused', paused)).key).toBe('error.pausedNoDelay');
    expect(describe10(coded(503, 'formats_busy', '', 5)).key).toBe('error.formatsBusy');
    expect(describe10(coded(503, 'formats_busy')).key).toBe('error.formatsBusyNoDelay');
  });

  it("the server's disk under its floor is its own sentence, retryable, with no countdown (no Retry-After)", () => {
    const full = 'Not enough disk space on the server, retry later';
    expect(describe10(coded(507, 'insufficient_storage', full))).toEqual({
      key: 'error.diskFull',
      params: {},
      retryable: true,
    });
  });

  it("this network's share of unfinished tasks is not mistaken for a flood of uploads", () => {
    expect(describe10(coded(429, 'too_many_active_tasks', '', 61))).toEqual({
      key: 'error.activeTasks',
      params: { seconds: 61 },
      retryable: true,
      afterWait: 'error.activeTasksNoDelay',
    });
    expect(describe10(coded(429, 'too_many_active_tasks')).key).toBe('error.activeTasksNoDelay');
  });

  it('zh says every error in Chinese alone: no English server text inside a fixed sentence', () => {
    for (const key of Object.keys(ZH) as MessageKey[]) {
      if (!key.startsWith('error.')) continue;
      expect(ZH[key], key).not.toMatch(/[A-Za-z]{3,} [A-Za-z]{2,}/);
    }
  });
});
