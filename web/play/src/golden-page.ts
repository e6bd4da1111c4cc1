// The golden-check page: fetches golden.json (PyTorch 1.13's numbers; ?src=URL to use another
// copy), runs every check of golden-checks.ts on the browser bundle, yielding to the page
// between cases, and reports pass/fail counts in #summary (data-pass, data-fail, data-done) and the
// kernels the checks ran on (data-kernels: kernelVariant()).
import { VERSION, kernelVariant } from 'recur';
import { goldenChecks, runCheck } from './golden-checks.js';
import type { CheckResult } from './golden-checks.js';

const $ = (id: string) => document.getElementById(id)!;
const summary = $('summary');
const table = $('results');

function row(r: CheckResult): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.className = r.ok ? 'pass' : 'fail';
  for (const text of [r.ok ? '✓' : '✗', r.suite, r.name, `${r.ms.toFixed(1)} ms`, r.error ?? '']) {
    const td = document.createElement('td');
    td.textContent = text;
    tr.append(td);
  }
  return tr;
}

async function main(): Promise<void> {
  const src = new URLSearchParams(location.search).get('src') ?? 'golden.json';
  $('version').textContent = `recur ${VERSION} (browser bundle) · ${navigator.userAgent.match(/(Chrome|Firefox|Safari)\/[\d.]+/)?.[0] ?? navigator.userAgent}`;
  summary.textContent = `loading ${src}…`;
  const res = await fetch(src);
  if (!res.ok) throw new Error(`${src}: HTTP ${res.status}`);
  const golden = await res.json();
  $('meta').textContent = `${src}: ${golden.meta.generator ?? ''} torch ${golden.meta.torch_version} · tolerances float64 atol ${golden.meta.tolerances.float64.atol} rtol ${golden.meta.tolerances.float64.rtol}, float32 atol ${golden.meta.tolerances.float32.atol} rtol ${golden.meta.tolerances.float32.rtol}`;
  const checks = goldenChecks(golden);
  let pass = 0;
  let fail = 0;
  const t0 = performance.now();
  const bySuite = new Map<string, { pass: number; fail: number }>();
  for (const k of checks) {
    const r = runCheck(k);
    if (r.ok) pass++; else fail++;
    const s = bySuite.get(r.suite) ?? { pass: 0, fail: 0 };
    if (r.ok) s.pass++; else s.fail++;
    bySuite.set(r.suite, s);
    table.append(row(r));
    if (!r.ok) table.prepend(row(r)); // failures first, too
    summary.textContent = `running… ${pass + fail}/${checks.length}: ${pass} passed, ${fail} failed`;
    await new Promise((res) => setTimeout(res, 0));
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  summary.dataset.pass = String(pass);
  summary.dataset.fail = String(fail);
  summary.dataset.total = String(checks.length);
  // After the checks: the float32 cases have compiled every kernel module on this main thread.
  summary.dataset.kernels = kernelVariant();
  summary.dataset.done = '1';
  summary.className = fail === 0 ? 'all-pass' : 'has-fail';
  summary.textContent = `${fail === 0 ? '✓ all' : '✗'} ${pass}/${checks.length} golden checks passed${fail ? `, ${fail} FAILED` : ''} in ${secs} s`;
  $('suites').textContent = [...bySuite].map(([s, c]) => `${s} ${c.pass}/${c.pass + c.fail}`).join(' · ');
}

main().catch((e) => {
  summary.textContent = `error: ${(e as Error).message}`;
  summary.className = 'has-fail';
  summary.dataset.error = (e as Error).message;
  summary.dataset.done = '1';
});
