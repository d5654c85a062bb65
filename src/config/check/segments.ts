import { describe, isTable } from '../describe.js';
import { SegmentDataSourceDefinition, SegmentDefinition } from '../schema.js';
import type { FileCheck } from './file-check.js';

/**
 * The `[segments]` section: segment definitions by name, and under the reserved name
 * `data_sources` the segment data sources they read from.
 */
export function checkSegments(check: FileCheck, value: unknown): void {
  if (!isTable(value)) {
    check.error(['segments'], `expected the [segments] table, got ${describe(value)}`);
    return;
  }
  for (const [name, entry] of Object.entries(value)) {
    if (name === 'data_sources') {
      if (!isTable(entry))
        check.error(
          ['segments', 'data_sources'],
          `expected a table of segment data sources, got ${describe(entry)}`,
        );
      else {
        for (const [dsName, ds] of Object.entries(entry)) {
          check.definition(
            ds,
            ['segments', 'data_sources', dsName],
            dsName,
            'segment data source',
            SegmentDataSourceDefinition,
            check.out.segmentDataSources,
          );
        }
      }
      continue;
    }
    check.definition(entry, ['segments', name], name, 'segment', SegmentDefinition, check.out.segments);
  }
}
