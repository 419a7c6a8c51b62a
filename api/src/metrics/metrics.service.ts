import { Injectable, Optional } from '@nestjs/common';
import { WorkerRegistry } from '../tasks/workers/worker-registry.service';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import {
  InferenceRepository,
  type InferenceHealth,
  type SidecarState,
} from '../inference/inference.repository';
import { TaskQueueService } from '../tasks/queue/task-queue.service';
import type { TaskOutcome } from './task-timeline';

/** Upper bounds (seconds) of the job-duration buckets: inflate takes ~1 s, TRELLIS.2 up to the 180 s limit. */
const JOB_BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300];
/** Upper bounds (seconds) of the stage-duration buckets. */
const STAGE_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120];
const SIDECAR_STATES: readonly SidecarState[] = [
  'down',
  'starting',
  'loading',
  'ready',
  'busy',
  'restarting',
  'failed',
];

/**
 * The Prometheus metrics of one api process, in a registry of its own (prom-client): Node's
 * default process metrics, and
 * - `kiln3d_queue_jobs{state="waiting"|"active"}`: Bull's job counts, read at each scrape (every
 *   api process reports the same shared queue: use max(), not sum());
 * - `kiln3d_tasks_finished_total{outcome, http_status}`, `kiln3d_job_duration_seconds{outcome}`,
 *   `kiln3d_stage_duration_seconds{stage}` (completed jobs): from the task events, each finished
 *   task counted by one api process only (TaskMetricsListener), so sum() over processes is right;
 * - `kiln3d_sidecar_restarts_total` (restarts by this api's supervisor; a remote sidecar
 *   (INFERENCE_URL) is restarted by whoever runs it and counts 0 here), `kiln3d_sidecar_state`,
 *   `kiln3d_sidecar_vram_used_bytes` / `_total_bytes` (the device-wide figures of the sidecar's
 *   Health answer: trellis2 reports them from CUDA, the CPU engines report 0), `kiln3d_sidecar_jobs_done`.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly finished: Counter<'outcome' | 'http_status'>;
  private readonly jobDuration: Histogram<'outcome'>;
  private readonly stageDuration: Histogram<'stage'>;

  constructor(
    private readonly queue: TaskQueueService,
    private readonly workers: WorkerRegistry,
    // Absent in an api-only process (KILN_ROLE=api runs no sidecar): no sidecar gauges there.
    @Optional() private readonly inference?: InferenceRepository,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.finished = new Counter({
      name: 'kiln3d_tasks_finished_total',
      help: 'Finished tasks by outcome and the HTTP status of their result (200 for completed)',
      labelNames: ['outcome', 'http_status'],
      registers,
    });
    this.jobDuration = new Histogram({
      name: 'kiln3d_job_duration_seconds',
      help: 'Time from the start of processing to the finished task (completed: generation_time)',
      labelNames: ['outcome'],
      buckets: JOB_BUCKETS,
      registers,
    });
    this.stageDuration = new Histogram({
      name: 'kiln3d_stage_duration_seconds',
      help: 'Time spent in each generation stage of completed jobs',
      labelNames: ['stage'],
      buckets: STAGE_BUCKETS,
      registers,
    });
    const jobs = this.queue;
    new Gauge({
      name: 'kiln3d_queue_jobs',
      help: 'Jobs in the generation queue by state (the shared Bull queue, read at each scrape)',
      labelNames: ['state'],
      registers,
      async collect() {
        try {
          const counts = await jobs.counts();
          this.set({ state: 'waiting' }, counts.waiting);
          this.set({ state: 'active' }, counts.active);
        } catch {
          // Redis unreachable: no figure rather than a stale one (GET /api/health says why).
          this.reset();
        }
      },
    });
    this.workerGauge(registers);
    if (this.inference) this.sidecarMetrics(this.inference, registers);
  }

  /** Live processes on this Redis by role and worker state (WorkerRegistry's heartbeats). */
  private workerGauge(registers: Registry[]): void {
    const workers = this.workers;
    new Gauge({
      name: 'kiln3d_workers',
      help: 'Live Kiln3D processes on this Redis by role and worker state (api-only processes: state "none")',
      labelNames: ['role', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const node of await workers.nodes()) {
          this.inc({ role: node.role, state: node.worker?.state ?? 'none' });
        }
      },
    });
  }

  /** The sidecar gauges and the supervisor's restart counter. */
  private sidecarMetrics(inference: InferenceRepository, registers: Registry[]): void {
    const sidecar = this.sidecarGauges(inference, registers);
    // The supervisor's count only grows; the counter takes each scrape's increase.
    let restartsSeen = 0;
    new Counter({
      name: 'kiln3d_sidecar_restarts_total',
      help: "Restarts of the inference sidecar by this api's supervisor (0 for a remote sidecar)",
      registers,
      async collect() {
        const restarts = (await sidecar()).restarts;
        if (restarts > restartsSeen) this.inc(restarts - restartsSeen);
        restartsSeen = Math.max(restartsSeen, restarts);
      },
    });
  }

  /** Counts one finished task and observes its durations. */
  recordOutcome(outcome: TaskOutcome): void {
    this.finished.inc({ outcome: outcome.outcome, http_status: String(outcome.httpStatus) });
    if (outcome.jobSeconds !== undefined)
      this.jobDuration.observe({ outcome: outcome.outcome }, outcome.jobSeconds);
    for (const { stage, seconds } of outcome.stages) this.stageDuration.observe({ stage }, seconds);
  }

  /** The Prometheus text exposition format (version 0.0.4). */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** The sidecar gauges; returns their reader (the supervisor's last Health answer, never a new call). */
  private sidecarGauges(
    inference: InferenceRepository,
    registers: Registry[],
  ): () => Promise<InferenceHealth> {
    const read = (): Promise<InferenceHealth> => inference.health();
    new Gauge({
      name: 'kiln3d_sidecar_state',
      help: 'The inference sidecar state as the api sees it (1 for the current state)',
      labelNames: ['state'],
      registers,
      async collect() {
        const { state } = await read();
        for (const each of SIDECAR_STATES) this.set({ state: each }, each === state ? 1 : 0);
      },
    });
    new Gauge({
      name: 'kiln3d_sidecar_vram_used_bytes',
      help: "GPU memory in use on the sidecar's device (its Health answer; 0 on CPU engines)",
      registers,
      async collect() {
        this.set((await read()).vramUsedBytes);
      },
    });
    new Gauge({
      name: 'kiln3d_sidecar_vram_total_bytes',
      help: "GPU memory of the sidecar's device (its Health answer; 0 on CPU engines)",
      registers,
      async collect() {
        this.set((await read()).vramTotalBytes);
      },
    });
    new Gauge({
      name: 'kiln3d_sidecar_jobs_done',
      help: 'Jobs the current sidecar process has finished since it started',
      registers,
      async collect() {
        this.set((await read()).jobsDone);
      },
    });
    return read;
  }
}
