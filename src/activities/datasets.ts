import { InvalidInputError } from '../analysis/errors.js';
import type { ActivityDeps } from './deps.js';

function notAPreviewDataset(dataset: string): InvalidInputError {
  return new InvalidInputError(
    `dataset ${dataset} exists and its tables do not expire: it holds results a preview must not replace; preview into a dataset of its own (--dataset_id, default tmp), or give ${dataset} a default table expiration first`,
  );
}

export function datasetActivities(deps: ActivityDeps) {
  return {
    /** Creates the dataset if missing; preview datasets expire (jetstream's mozdata.tmp keeps 7 days). */
    async prepareDataset(input: { dataset: string; expirationDays: number | null }): Promise<void> {
      const warehouse = await deps.warehouse();
      const { created, expires } = await warehouse.createDataset(
        input.dataset,
        input.expirationDays === null ? {} : { expirationDays: input.expirationDays },
      );
      // A preview writes only where tables expire: among lasting results it would replace an
      // experiment's published tables with a sample's (and a later run would keep its enrollments).
      if (input.expirationDays !== null && !created && !expires) throw notAPreviewDataset(input.dataset);
      // A preview starts by dropping what earlier previews left past its expiry (the embedded
      // warehouse drops expired tables only when asked; BigQuery has none left).
      if (input.expirationDays !== null) await warehouse.dropExpired();
    },
  };
}

export type DatasetActivities = ReturnType<typeof datasetActivities>;
