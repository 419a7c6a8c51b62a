// One progress line per picture on stderr: a bar (cli-progress) on a terminal, plain lines when
// stderr is a file or a pipe (CI logs), so stdout stays the list of files made.
import cliProgress from 'cli-progress';

/** @typedef {import('./api.mjs').TaskView} TaskView */

/**
 * What a snapshot says, in a few words: "queued #2 (~40 s)", "queued #1 (< 1 s)", "geometry 55%",
 * "completed".
 * @param {TaskView} snapshot
 * @returns {string}
 */
export function describeSnapshot(snapshot) {
  switch (snapshot.status) {
    case 'queued':
      return `queued #${snapshot.position ?? '?'}${snapshot.eta_s !== undefined ? ` (${waitOf(snapshot.eta_s)})` : ''}`;
    case 'processing':
      return `${snapshot.stage ?? 'processing'} ${Math.round(snapshot.progress ?? 0)}%`;
    case 'completed':
      return 'completed';
    default:
      return `failed: ${snapshot.error ?? 'unknown error'}`;
  }
}

/**
 * An expected wait, rounded to the second: "~40 s"; under half a second "< 1 s", never "~0 s".
 * @param {number} seconds
 * @returns {string}
 */
function waitOf(seconds) {
  return seconds < 0.5 ? '< 1 s' : `~${Math.round(seconds)} s`;
}

/** The progress of every picture of one run. */
export class ProgressBoard {
  /** @param {NodeJS.WriteStream} stream stderr */
  constructor(stream) {
    this.stream = stream;
    this.multibar = stream.isTTY
      ? new cliProgress.MultiBar(
          {
            stream,
            format: '{name} |{bar}| {percentage}% {state}',
            hideCursor: true,
            clearOnComplete: false,
            barsize: 24,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
    /** @type {Map<string, { bar?: cliProgress.SingleBar, last: string }>} */
    this.lines = new Map();
    /** @type {string[]} */
    this.failures = [];
    /** @type {string[]} */
    this.notes = [];
  }

  /**
   * A picture's line, made on first use.
   * @param {string} name the picture's file name
   * @param {string} state e.g. "uploading", a snapshot's description
   * @param {number} percent 0-100
   */
  update(name, state, percent) {
    let line = this.lines.get(name);
    if (line === undefined) {
      line = { bar: this.multibar?.create(100, 0, { name: name.padEnd(24).slice(0, 24), state }), last: '' };
      this.lines.set(name, line);
    }
    if (line.bar !== undefined) {
      line.bar.update(Math.round(percent), { state });
    } else if (state.replace(/\d+%$/, '') !== line.last.replace(/\d+%$/, '')) {
      // Without a terminal: one line per change of state or stage, not per percent.
      this.stream.write(`${name}: ${state}\n`);
    }
    line.last = state;
  }

  /**
   * A picture that was refused or failed: its bar says `short`; `message` (the server's words)
   * goes on a line of its own, at once without a terminal, after the bars with one.
   * @param {string} name the picture's file name
   * @param {string} short "refused" or "failed"
   * @param {string} message
   */
  fail(name, short, message) {
    if (this.multibar === undefined) {
      this.stream.write(`${name}: ${message}\n`);
      return;
    }
    this.update(name, short, 0);
    this.failures.push(`${name}: ${message}`);
  }

  /**
   * Something worth keeping about a picture (its share link, a warning): on a line of its own, at
   * once without a terminal, after the bars with one.
   * @param {string} name the picture's file name
   * @param {string} message
   */
  note(name, message) {
    if (this.multibar === undefined) this.stream.write(`${name}: ${message}\n`);
    else this.notes.push(`${name}: ${message}`);
  }

  /** Ends the bars (the terminal gets its cursor back), then gives the notes and says what failed. */
  stop() {
    this.multibar?.stop();
    for (const line of [...this.notes, ...this.failures]) this.stream.write(`${line}\n`);
  }
}
