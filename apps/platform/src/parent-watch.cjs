'use strict';
/**
 * Loaded first (node --require) into every process the platform's supervisor starts, and so into
 * the gateway's data-plane workers too (node:cluster forks them with the same Node.js options).
 * When the process that started this one is gone (the launcher killed with SIGKILL, crashed, out of
 * memory), nobody will ever stop this one: it stops itself as on SIGTERM (its own graceful stop),
 * and for good (SIGKILL) if that has not ended it within RN_ORPHAN_GRACE_MS (10 s). Nothing is
 * printed: its output went to the process that is gone.
 *
 * The deadline runs on a thread of its own, started then: the main thread may never come back to
 * its timers (a write to the gone launcher retried in a futex wait, as pino's flush at exit did, or
 * any other blocking wait), and SIGTERM only queues work for it once a handler is installed. It
 * ends the process with SIGKILL, not process.exit(): 'exit' listeners may be what hangs.
 */
const { readFileSync } = require('node:fs');
const { Worker, isMainThread } = require('node:worker_threads');

// A worker thread inherits --require: the watch belongs to the process's main thread only.
if (!isMainThread) return;

// The parent names itself (RN_PARENT_PID), for it may be gone before this file runs; Node.js reads
// process.ppid once, so the kernel is asked below. This process's own children expect it.
const parent = Number(process.env.RN_PARENT_PID) || process.ppid;
process.env.RN_PARENT_PID = String(process.pid);
const graceMs = Number(process.env.RN_ORPHAN_GRACE_MS) || 10_000;

function parentGone() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8'); // an orphan is adopted: its ppid changes
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== parent;
  } catch {
    try {
      process.kill(parent, 0); // no /proc: is the parent still there?
      return false;
    } catch (error) {
      return error.code === 'ESRCH';
    }
  }
}

/** SIGKILL to this process in `ms`, from a thread that does not need the main thread to run. */
function killAfter(ms) {
  const kill = `setTimeout(() => process.kill(${process.pid}, 'SIGKILL'), ${ms})`;
  try {
    new Worker(kill, { eval: true, execArgv: [] }).unref();
  } catch {
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), ms).unref(); // no thread to be had
  }
}

const watch = setInterval(() => {
  if (!parentGone()) return;
  clearInterval(watch);
  killAfter(graceMs);
  process.kill(process.pid, 'SIGTERM');
}, 500);
watch.unref();
