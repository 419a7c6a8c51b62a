import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import {
  existsSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { sleep, waitFor } from '../support/env';
import { sendRaw } from '../support/raw-http';
import { type CategoryRun, Recorder, freshRedis, startSuiteApi } from './harness';
import { discPng } from './images';

const DAY_MS = 86_400_000;

/** YYYY-MM-DD in local time, as winston-daily-rotate-file names its files (utc off). */
function day(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/**
 * Wiring no other test reaches (issue 11): the cleanup cron registered with the configured
 * schedule and firing (a schedule of every 2 s); log files by day, kept 7 days (an audit with
 * forged dates, as file-stream-rotator keeps it, then a start); TRUST_PROXY off with forged
 * forwarding headers (URLs and the logged client address stay the socket's).
 */
export const runWiring: CategoryRun = async (ctx) => {
  const recorder = new Recorder('wiring', ctx);
  const redis = await freshRedis();
  const schedule = '*/2 * * * * *';
  const suite = await startSuiteApi('wiring', {
    INFERENCE_ENGINE: 'simulate',
    SIMULATE_SECONDS: '1',
    CLEANUP_CRON: schedule,
    RETENTION_HOURS: '1',
    TRUST_PROXY: 'false',
  });
  const planted: string[] = [];
  try {
    await recorder.check(
      'cleanup cron: registered with CLEANUP_CRON and firing on it',
      suite.api,
      async () => {
        assert.match(
          suite.api.output(),
          new RegExp(`model cleanup scheduled "${schedule.replace(/[*/]/g, '\\$&')}"`),
        );
        const old = `${randomUUID()}.glb`;
        const fresh = `${randomUUID()}.glb`;
        const other = 'notes.txt';
        for (const name of [old, fresh, other]) writeFileSync(join(suite.staticDir, name), 'x');
        planted.push(fresh, other);
        const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
        utimesSync(join(suite.staticDir, old), twoHoursAgo, twoHoursAgo);
        utimesSync(join(suite.staticDir, other), twoHoursAgo, twoHoursAgo);
        await waitFor(
          'the cron to delete the old model',
          () => Promise.resolve(existsSync(join(suite.staticDir, old)) ? undefined : true),
          10_000,
        );
        assert.ok(existsSync(join(suite.staticDir, fresh)), 'a model younger than RETENTION_HOURS stays');
        assert.ok(existsSync(join(suite.staticDir, other)), 'a file that is not a model stays');
        const runs = suite.api.output().match(/model cleanup: \d+ model\(s\)/g)?.length ?? 0;
        await sleep(4500);
        const later = suite.api.output().match(/model cleanup: \d+ model\(s\)/g)?.length ?? 0;
        assert.ok(later >= runs + 1, `the cron fires again on its schedule (${runs} -> ${later})`);
      },
    );

    await recorder.check(
      'TRUST_PROXY off: forged forwarding headers change neither URLs nor the logged client',
      suite.api,
      async () => {
        const boundary = 'kiln3dwiring';
        const body = Buffer.concat([
          Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n\r\n`,
          ),
          await discPng(),
          Buffer.from(`\r\n--${boundary}--\r\n`),
        ]);
        const reply = await sendRaw(`${suite.api.url}/api/generate`, {
          method: 'POST',
          headers: {
            'Content-Type': `multipart/form-data; boundary=${boundary}`,
            'X-Forwarded-Proto': 'https',
            'X-Forwarded-Host': 'evil.example',
            'X-Forwarded-For': '6.6.6.6',
            'CF-Connecting-IP': '7.7.7.7',
            Forwarded: 'for=8.8.8.8;proto=https;host=evil.example',
          },
          body,
        });
        assert.equal(reply.status, 202, reply.body);
        const parsed = JSON.parse(reply.body) as { task_id: string; status_url: string };
        recorder.admitted.add(parsed.task_id);
        assert.equal(parsed.status_url, `${suite.api.url}/api/status/${parsed.task_id}`);
        const line = suite.api
          .output()
          .split('\n')
          .find((l) => l.includes(`request received task=${parsed.task_id}`));
        assert.ok(line, 'the request is logged');
        assert.match(line, /client=127\.0\.0\.1\b/);
        assert.doesNotMatch(line, /[678]\.[678]\.[678]\.[678]/);
      },
    );
    await recorder.settle(suite.api, suite, 60_000);
    await suite.api.stop();

    await recorder.check(
      'logs: one file a day, older than 7 days deleted (forged dates), app.log the current one',
      undefined,
      async () => {
        const audits = readdirSync(suite.logDir).filter((f) => f.endsWith('-audit.json'));
        assert.equal(audits.length, 1, `one audit file: ${audits.join(', ')}`);
        const auditPath = join(suite.logDir, audits[0]);
        const audit = JSON.parse(readFileSync(auditPath, 'utf8')) as {
          files: { date: number; name: string; hash: string }[];
          hashType: string;
        };
        const now = Date.now();
        const today = join(suite.logDir, `app-${day(now)}.log`);
        // Yesterday back to 10 days ago, a minute inside each day's age, as if the api had run on each.
        const forged = Array.from({ length: 10 }, (_, i) => {
          const date = now - (i + 1) * DAY_MS + 60_000;
          const name = join(suite.logDir, `app-${day(date)}.log`);
          writeFileSync(name, `forged ${day(date)}\n`);
          const hash = createHash(audit.hashType).update(`${name}LOG_FILE${date}`).digest('hex');
          return { date, name, hash, age: i + 1 };
        });
        // Today's file goes, so the next start opens a new day's file (what a date change does).
        rmSync(today, { force: true });
        audit.files = forged.map(({ date, name, hash }) => ({ date, name, hash }));
        writeFileSync(auditPath, JSON.stringify(audit));
        await suite.restart();
        await waitFor(
          "today's log file",
          () => Promise.resolve(existsSync(today) ? true : undefined),
          10_000,
        );
        await sleep(500);
        for (const f of forged) {
          assert.equal(
            existsSync(f.name),
            f.age <= 7,
            `${f.age} day(s) old: ${f.age <= 7 ? 'kept' : 'deleted'}`,
          );
        }
        assert.equal(readlinkSync(join(suite.logDir, 'app.log')).replace(/^.*\//, ''), `app-${day(now)}.log`);
        await suite.api.stop();
      },
    );
    recorder.checkFiles(suite);
    recorder.report.strayFiles = recorder.report.strayFiles.filter(
      (f) => !planted.some((p) => f === `static/${p}`),
    );
  } finally {
    redis.disconnect();
    await suite.stop();
  }
  return recorder.report;
};
