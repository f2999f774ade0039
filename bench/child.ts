/**
 * One bench job in a fresh process: `node --import tsx --expose-gc bench/child.ts '<job JSON>'`.
 * The result goes back to `bench/run.ts` over IPC; progress goes to stderr.
 */
import { runApi } from "./jobs-api.js";
import { runMiss, runStorm } from "./jobs-miss.js";
import { runConcurrency, runGraph, runHit, runSuite, type Job, type JobResult } from "./jobs.js";

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

async function run(job: Job): Promise<JobResult> {
  switch (job.kind) {
    case "hit":
      return runHit(job, log);
    case "concurrency":
      return runConcurrency(job);
    case "graph":
      return runGraph(job, log);
    case "suite":
      return runSuite(job, log);
    case "miss":
      return runMiss(job, log);
    case "storm":
      return runStorm(job, log);
    case "api":
      return runApi(job, log);
  }
}

function send(message: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.send === undefined) {
      process.stdout.write(`${JSON.stringify(message)}\n`);
      resolve();
      return;
    }
    process.send(message, undefined, {}, (error: Error | null) => {
      if (error === null) resolve();
      else reject(error);
    });
  });
}

const job = JSON.parse(process.argv[2] ?? "null") as Job;
try {
  await send({ ok: true, result: await run(job) });
} catch (error) {
  await send({
    ok: false,
    error: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
}
process.exit(0);
