import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { type ConfigCollection, loadConfigCollection } from '../../../src/config/collection.js';
import { resolveAnalysisSpec } from '../../../src/config/resolve.js';
import { planAnalysis } from '../../../src/sql/plan/analysis.js';
import { fillPlaceholders } from '../../../src/sql/plan/common.js';
import { bigqueryDialect } from '../../../src/sql/render/bigquery.js';
import { testExperiment } from '../../helpers/experiment.js';
import { metricHubFixtures } from '../../helpers/fixtures.js';

/**
 * Config SQL as mozanalysis formats it: a data source's `{dataset}` is the experiment's app
 * dataset for metrics and segments (jetstream passes it; `default_dataset` only stands in where
 * none is given, as for exposure signals), and `{{`/`}}` outside a template are Python's
 * escaped braces. Checked on metric-hub's own definitions and configs.
 */
let collection: ConfigCollection;

before(async () => {
  collection = await loadConfigCollection({ repos: [metricHubFixtures()] });
});

/** Every query of the analysis on each of `dates`, BigQuery SQL, joined. */
function planned(
  experiment: Parameters<typeof testExperiment>[0],
  dates: string[],
  configFile?: string,
): string {
  const { spec } = resolveAnalysisSpec(collection, testExperiment(experiment), {
    ...(configFile ? { configFile } : {}),
  });
  return dates
    .flatMap((date) => {
      const plan = planAnalysis(spec, date, { dataset: 'contrail', dialect: bigqueryDialect() });
      return [
        ...(plan.enrollments ? [plan.enrollments.sql] : []),
        ...plan.windows.flatMap((w) => w.metricsScans.map((q) => q.sql)),
      ];
    })
    .join('\n');
}

const tablesRead = (sql: string) =>
  [...new Set(sql.match(/moz-fx-data-shared-prod\.\w+\.\w+/g) ?? [])].sort();

const fenix = (appId: string) => ({
  slug: 'fenix-probe',
  appName: 'fenix',
  appId,
  channel: appId.endsWith('beta') ? 'beta' : 'release',
  startDate: '2024-07-01',
  proposedEnrollment: 7,
});

describe("{dataset} in a data source's FROM", () => {
  it("is the experiment's app dataset in metrics: a beta experiment reads the beta app's tables", () => {
    const beta = tablesRead(planned(fenix('org.mozilla.firefox_beta'), ['2024-07-14']));
    assert.ok(beta.includes('moz-fx-data-shared-prod.org_mozilla_firefox_beta.baseline'), beta.join(', '));
    // definitions/fenix.toml's default_dataset: release tables, which no beta client writes.
    assert.ok(!beta.includes('moz-fx-data-shared-prod.org_mozilla_firefox.baseline'), beta.join(', '));
    assert.ok(!beta.includes('moz-fx-data-shared-prod.fenix.baseline'), beta.join(', '));
    const release = tablesRead(planned(fenix('org.mozilla.firefox'), ['2024-07-14']));
    assert.ok(release.includes('moz-fx-data-shared-prod.org_mozilla_firefox.baseline'), release.join(', '));
  });

  it('is the data source default_dataset in an exposure signal, as mozanalysis builds it', () => {
    const config = `[experiment]
enrollment_period = 7

[experiment.exposure_signal]
name = "opened"
friendly_name = "Opened"
description = "Opened the app"
data_source = "baseline"
select_expression = "TRUE"
window_end = 7
`;
    const sql = planned(fenix('org.mozilla.firefox_beta'), ['2024-07-14'], config);
    const start = sql.indexOf('exposures AS (');
    assert.ok(start >= 0, sql);
    const exposures = sql.slice(start, sql.indexOf('GROUP BY', start));
    assert.deepEqual(tablesRead(exposures), ['moz-fx-data-shared-prod.org_mozilla_firefox.baseline']);
  });
});

describe('braces in config SQL', () => {
  it("keeps a literal add-on id written '{{…}}' in a data source, as str.format does, instead of evaluating it", () => {
    const sql = planned(
      {
        slug: 'recommended-add-ons-os-notification-experiment',
        appId: 'firefox-desktop',
        startDate: '2025-12-10',
        proposedEnrollment: 7,
      },
      // Its first week, whose metrics read the add-ons, completes on one of these.
      ['2025-12-22', '2025-12-23', '2025-12-24', '2025-12-25'],
    );
    assert.match(sql, /'\{d10d0bf8-f5b5-c8b4-a8b2-2b9879e08c5d\}', {2}\/\* Adblock Plus \*\//);
    assert.doesNotMatch(sql, /NaN/);
  });

  it('fills the placeholders and reads doubled braces as one, except where mozanalysis does not format', () => {
    const values = { dataset: 'org_mozilla_firefox_beta', experiment_slug: 'x' };
    assert.equal(
      fillPlaceholders(
        "`p.{dataset}.t` WHERE id = '{{a-b}}' AND e = '{experiment_slug}' AND {{dataset}}",
        values,
      ),
      "`p.org_mozilla_firefox_beta.t` WHERE id = '{a-b}' AND e = 'x' AND {dataset}",
    );
    assert.equal(fillPlaceholders("'{{a}}' '{experiment_slug}'", values, { braces: false }), "'{{a}}' 'x'");
  });
});
