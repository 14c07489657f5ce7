import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { exportedSeriesNames } from '../../packages/ops/src/metrics/metric-names';

const RULES_PATH = join(__dirname, '..', '..', 'deploy', 'prometheus', 'alerts.yml');
const PROMTOOL = '/usr/bin/promtool';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** PromQL words that are not series: operators, modifiers and aggregation clauses. */
const KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'inf', 'nan']);

/** Series names an expression reads: identifiers outside label matchers, strings, ranges and grouping lists that are not functions. */
function seriesNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  for (const match of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(\s*\()?/g)) {
    const word = match[0].replace(/\s*\($/, '');
    if (match[1] || KEYWORDS.has(word.toLowerCase()) || /^\d/.test(word)) continue;
    names.push(word);
  }
  return names;
}

describe('deploy/prometheus/alerts.yml', () => {
  const document = parse(readFileSync(RULES_PATH, 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> };
  const rules = document.groups.flatMap((group) => group.rules);

  it('passes promtool check rules', () => {
    if (!existsSync(PROMTOOL)) return;
    const output = execFileSync(PROMTOOL, ['check', 'rules', RULES_PATH], { encoding: 'utf8' });
    expect(output).toMatch(new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  it('references only metrics the API and workers export', () => {
    const exported = exportedSeriesNames();
    const unknown = rules.flatMap((rule) => seriesNames(rule.expr).filter((name) => !exported.has(name)).map((name) => `${rule.alert}: ${name}`));
    expect(unknown).toEqual([]);
    // The check itself must see the series: an expression reduced to nothing would pass vacuously.
    expect(seriesNames('sum by (model) (rate(imageforge_jobs_finished_total{outcome="failed"}[10m])) > 0.05 and up == 0')).toEqual(['imageforge_jobs_finished_total', 'up']);
  });

  it('covers the day-one conditions, each with a severity and a summary', () => {
    const reads = (name: string) => rules.some((rule) => seriesNames(rule.expr).includes(name));
    for (const name of ['imageforge_queue_live_workers', 'imageforge_queue_oldest_waiting_age_seconds', 'imageforge_jobs_finished_total', 'imageforge_workers', 'imageforge_sync_timeouts_total', 'up']) {
      expect({ name, alerted: reads(name) }).toEqual({ name, alerted: true });
    }
    expect(new Set(rules.map((rule) => rule.alert)).size).toBe(rules.length);
    for (const rule of rules) {
      expect({ alert: rule.alert, severity: rule.labels?.severity, summary: typeof rule.annotations?.summary }).toEqual({
        alert: expect.stringMatching(/^Imageforge[A-Za-z]+$/),
        severity: expect.stringMatching(/^(critical|warning|info)$/),
        summary: 'string',
      });
    }
  });
});
