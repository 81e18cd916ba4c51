/**
 * The before/after table of `run.sh --baseline <ref>`: reads the rounds it ran (one harness run per
 * side per round, the sides alternating which goes first) and puts the two gateways side by side.
 *
 *   tsx tools/bench/peers/before-after.ts <results-dir> <before label> <after label>
 *
 * <results-dir>/rounds/<round>-<before|after>/ holds each harness run (raw.jsonl, versions.txt, and
 * load.txt with the load average before and after it). Writes before-after.md and before-after.json
 * into <results-dir> and prints the Markdown. The headline ratio is the median of the per-round
 * ratios (after / before of the same round, taken minutes apart), which a drifting load on the
 * machine disturbs least; the ratio of the medians and the ratio of each side to the upstream
 * measured directly in its own run are shown beside it. The verdict is yes or no only when every
 * round agrees.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Side = 'before' | 'after';
/** The bar: throughput may drop by at most 5 %. */
const BAR = 0.95;

interface Row {
  section: string;
  target: string;
  size?: string;
  conns?: number;
  wrk?: Record<string, number>;
  iperf?: { gbps?: number };
  udp?: { pps?: number; p50_us?: number; p99_us?: number };
}

interface Sample {
  round: number;
  value: number;
  direct: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
  errors: number;
}

/** A measured quantity: which rows carry it and how to read them. */
interface Metric {
  key: string;
  unit: string;
  candidate: (r: Row) => boolean;
  direct: (r: Row) => boolean;
  value: (r: Row) => number | undefined;
  p50?: (r: Row) => number | undefined;
  p99?: (r: Row) => number | undefined;
  errors?: (r: Row) => number;
}

const median = (values: number[]): number | null => {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  const upper = v[m] ?? NaN;
  return v.length % 2 ? upper : ((v[m - 1] ?? NaN) + upper) / 2;
};
const fixed = (x: number | null | undefined, digits: number) => (x == null ? '-' : x.toFixed(digits));

/**
 * Whether the drop stays within the bar: yes when every round's ratio does, no when none does;
 * rounds on both sides of it mean the noise of the run is larger than the bar.
 */
function verdict(paired: number[]): string {
  if (paired.length === 0) return '-';
  if (paired.every((r) => r >= BAR)) return 'yes';
  if (paired.every((r) => r < BAR)) return 'no';
  return 'undecided: rounds on both sides of 0.95';
}

function readRows(file: string): Row[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Row];
      } catch {
        return [];
      }
    });
}

function metricsOf(rows: Row[], directName: string): Metric[] {
  const wrkErrors = (r: Row) =>
    ['err_status', 'err_connect', 'err_read', 'err_write', 'err_timeout'].reduce(
      (sum, k) => sum + (r.wrk?.[k] ?? 0),
      0,
    );
  const metrics: Metric[] = [];
  const cases = new Set(
    rows.filter((r) => r.section === 'http' && r.target === 'candidate').map((r) => `${r.size}|${r.conns}`),
  );
  for (const c of cases) {
    const [size, conns] = c.split('|');
    const same = (r: Row) => r.section === 'http' && r.size === size && String(r.conns) === conns;
    metrics.push({
      key: `HTTP ${size} c${conns}`,
      unit: 'req/s',
      candidate: (r) => same(r) && r.target === 'candidate',
      direct: (r) => same(r) && r.target === directName,
      value: (r) => r.wrk?.rps,
      p50: (r) => (r.wrk?.p50_us == null ? undefined : r.wrk.p50_us / 1000),
      p99: (r) => (r.wrk?.p99_us == null ? undefined : r.wrk.p99_us / 1000),
      errors: wrkErrors,
    });
  }
  metrics.push(
    {
      key: 'TCP (iperf3, 1 stream)',
      unit: 'Gbit/s',
      candidate: (r) => r.section === 'tcp' && r.target === 'candidate-tcp',
      direct: (r) => r.section === 'tcp' && r.target === 'direct',
      value: (r) => r.iperf?.gbps,
    },
    {
      key: 'UDP (echo, 32 in flight)',
      unit: 'datagrams/s',
      candidate: (r) => r.section === 'udp' && r.target === 'candidate-udp',
      direct: (r) => r.section === 'udp' && r.target === 'direct',
      value: (r) => r.udp?.pps,
      p50: (r) => (r.udp?.p50_us == null ? undefined : r.udp.p50_us / 1000),
      p99: (r) => (r.udp?.p99_us == null ? undefined : r.udp.p99_us / 1000),
    },
    {
      key: 'tunnel HTTP 1k c64',
      unit: 'req/s',
      candidate: (r) => r.section === 'tunnel_http' && r.target === 'candidate-tunnel',
      direct: () => false,
      value: (r) => r.wrk?.rps,
      p50: (r) => (r.wrk?.p50_us == null ? undefined : r.wrk.p50_us / 1000),
      p99: (r) => (r.wrk?.p99_us == null ? undefined : r.wrk.p99_us / 1000),
      errors: wrkErrors,
    },
    {
      key: 'tunnel TCP',
      unit: 'Gbit/s',
      candidate: (r) => r.section === 'tunnel_tcp' && r.target === 'candidate-tunnel',
      direct: () => false,
      value: (r) => r.iperf?.gbps,
    },
  );
  return metrics;
}

function main(): void {
  const [dir, beforeLabel = 'before', afterLabel = 'after'] = process.argv.slice(2);
  if (!dir) {
    process.stderr.write('usage: before-after.ts <results-dir> [before label] [after label]\n');
    process.exit(2);
  }
  const roundsDir = join(dir, 'rounds');
  if (!existsSync(roundsDir)) {
    process.stderr.write(`before-after: no rounds in ${dir} (REPS=0?)\n`);
    process.exit(1);
  }
  const runs = readdirSync(roundsDir)
    .map((name) => /^(\d+)-(before|after)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => {
      const runDir = join(roundsDir, m[0]);
      const versions = existsSync(join(runDir, 'versions.txt'))
        ? readFileSync(join(runDir, 'versions.txt'), 'utf8')
        : '';
      return {
        round: Number(m[1]),
        side: m[2] as Side,
        dir: m[0],
        rows: readRows(join(runDir, 'raw.jsonl')),
        upstream: /^upstream: (\w+)/m.exec(versions)?.[1] ?? 'nginx',
        started: /^date: (.*)$/m.exec(versions)?.[1] ?? '',
        // The 1-minute load average when the run started and when it ended.
        load: existsSync(join(runDir, 'load.txt'))
          ? readFileSync(join(runDir, 'load.txt'), 'utf8')
              .split('\n')
              .filter(Boolean)
              .map((line) => line.split(' ')[0])
              .join(' → ')
          : '',
      };
    })
    .sort((a, b) => a.started.localeCompare(b.started) || a.round - b.round);
  const allRows = runs.flatMap((r) => r.rows);
  const directName = runs[0]?.upstream === 'node' ? 'direct-node' : 'direct-nginx';
  const rounds = [...new Set(runs.map((r) => r.round))].sort((a, b) => a - b);

  const results = metricsOf(allRows, directName).flatMap((metric) => {
    const samples: Record<Side, Sample[]> = { before: [], after: [] };
    for (const run of runs) {
      const cand = run.rows.find((r) => metric.candidate(r) && typeof metric.value(r) === 'number');
      if (!cand) continue;
      const direct = run.rows.find((r) => metric.direct(r));
      samples[run.side].push({
        round: run.round,
        value: metric.value(cand) as number,
        direct: direct ? (metric.value(direct) ?? null) : null,
        p50_ms: metric.p50?.(cand) ?? null,
        p99_ms: metric.p99?.(cand) ?? null,
        errors: metric.errors?.(cand) ?? 0,
      });
    }
    if (samples.before.length === 0 || samples.after.length === 0) return [];
    const paired = rounds.flatMap((round) => {
      const b = samples.before.find((s) => s.round === round);
      const a = samples.after.find((s) => s.round === round);
      return a && b && b.value > 0 ? [a.value / b.value] : [];
    });
    const side = (s: Side) => ({
      values: samples[s].map((x) => x.value),
      median: median(samples[s].map((x) => x.value)),
      vs_direct: median(samples[s].flatMap((x) => (x.direct ? [x.value / x.direct] : []))),
      p50_ms: median(samples[s].flatMap((x) => (x.p50_ms == null ? [] : [x.p50_ms]))),
      p99_ms: median(samples[s].flatMap((x) => (x.p99_ms == null ? [] : [x.p99_ms]))),
      errors: samples[s].reduce((sum, x) => sum + x.errors, 0),
    });
    const before = side('before');
    const after = side('after');
    const pairedMedian = median(paired);
    return [
      {
        metric: metric.key,
        unit: metric.unit,
        before,
        after,
        ratio_paired_median: pairedMedian,
        ratio_paired: paired,
        ratio_of_medians: before.median && after.median != null ? after.median / before.median : null,
        ratio_vs_direct:
          before.vs_direct && after.vs_direct != null ? after.vs_direct / before.vs_direct : null,
        within_bar: verdict(paired),
      },
    ];
  });

  const lines: string[] = [];
  const P = (s = '') => lines.push(s);
  P('# Before/after in one run');
  P();
  P(`- before: ${beforeLabel}`);
  P(`- after: ${afterLabel}`);
  P(
    `- ${rounds.length} rounds; in each, one harness run per side (odd rounds before first, even rounds after first); both sides started by production-candidate.ts with the same settings and Node options; upstream ${directName.replace('direct-', '')}`,
  );
  P();
  P(
    '| metric | before (median; each round) | after (median; each round) | after/before (median of rounds; each) | ratio of medians | ratio vs direct | p50 ms b → a | p99 ms b → a | errors b/a | within 5 % |',
  );
  P('|---|---|---|---:|---:|---:|---|---|---|---|');
  const each = (values: number[], digits: number) => values.map((v) => v.toFixed(digits)).join(', ');
  for (const r of results) {
    const digits = r.unit === 'Gbit/s' ? 3 : 0;
    P(
      `| ${r.metric} (${r.unit}) | ${fixed(r.before.median, digits)} (${each(r.before.values, digits)}) | ${fixed(r.after.median, digits)} (${each(r.after.values, digits)}) | **${fixed(r.ratio_paired_median, 3)}** (${each(r.ratio_paired, 3)}) | ${fixed(r.ratio_of_medians, 3)} | ${fixed(r.ratio_vs_direct, 3)} | ${fixed(r.before.p50_ms, 2)} → ${fixed(r.after.p50_ms, 2)} | ${fixed(r.before.p99_ms, 2)} → ${fixed(r.after.p99_ms, 2)} | ${r.before.errors}/${r.after.errors} | ${r.within_bar} |`,
    );
  }
  P();
  P('| round | side | started | 1-min load average (start → end) |');
  P('|---:|---|---|---|');
  for (const run of runs) P(`| ${run.round} | ${run.side} | ${run.started} | ${run.load} |`);
  P();
  const markdown = lines.join('\n');
  writeFileSync(join(dir, 'before-after.md'), markdown + '\n');
  writeFileSync(
    join(dir, 'before-after.json'),
    JSON.stringify(
      {
        before: beforeLabel,
        after: afterLabel,
        bar: BAR,
        results,
        runs: runs.map(({ rows: _rows, ...run }) => run),
      },
      null,
      2,
    ),
  );
  process.stdout.write(markdown + '\n');
  if (results.length === 0) {
    process.stderr.write('before-after: no metric was measured on both sides (see the rounds logs)\n');
    process.exit(1);
  }
}

main();
