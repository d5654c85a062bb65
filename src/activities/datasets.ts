import type { ActivityDeps } from './deps.js';

export function datasetActivities(deps: ActivityDeps) {
  return {
    /** Creates the dataset if missing; preview datasets expire (jetstream's mozdata.tmp keeps 7 days). */
    async prepareDataset(input: { dataset: string; expirationDays: number | null }): Promise<void> {
      const warehouse = await deps.warehouse();
      await warehouse.createDataset(
        input.dataset,
        input.expirationDays === null ? {} : { expirationDays: input.expirationDays },
      );
      // A preview starts by dropping what earlier previews left past its expiry (the embedded
      // warehouse drops expired tables only when asked; BigQuery has none left).
      if (input.expirationDays !== null) await warehouse.dropExpired();
    },
  };
}

export type DatasetActivities = ReturnType<typeof datasetActivities>;
