import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ContrailError } from '../errors.js';
import { fileRefusal } from '../file-refusal.js';
import { makeDirectory } from '../paths.js';

/**
 * Where JSON exports (statistics, metadata, errors) go: a local directory or a Google Cloud
 * Storage bucket (`gs://bucket/prefix`), laid out as jetstream's bucket is
 * (`statistics/…`, `metadata/…`, `errors/…`). A reader never sees half a file.
 */
export interface ExportTarget {
  /** Writes `text` at `path` (relative, `/`-separated); returns where it went. */
  write(path: string, text: string): Promise<string>;
}

/** An export location contrail cannot write to as given (a malformed `gs://` address). */
export class InvalidExportTargetError extends ContrailError {
  constructor(message: string) {
    super(message, { permanent: true });
    this.name = 'InvalidExportTargetError';
  }
}

/**
 * An export file the directory would not take (a full disk, a read-only mount), named with what
 * to do. Transient: once there is room the same export is written again in full; the file it
 * would have replaced stays as it was meanwhile.
 */
function exportWriteError(file: string, why: string, cause?: unknown): ContrailError {
  return new ContrailError(
    `cannot write the export ${file}: ${why}; free space there or set CONTRAIL_EXPORT_DIR to a directory you can write to (the file it would replace is unchanged)`,
    { permanent: false, cause, details: { file } },
  );
}

/**
 * The embedded warehouse's production dataset, whose exports sit at the top of the export
 * location, as jetstream's production bucket. On BigQuery it is the results dataset the worker
 * is set up with (CONTRAIL_BIGQUERY_DATASET), when set: its daily runs write there.
 */
export const PRODUCTION_DATASET = 'contrail';

/**
 * Where a dataset's export file goes: the production dataset's at `path` (jetstream's bucket
 * layout, where Experimenter reads them), any other dataset's (a preview's, a test's) under
 * `<dataset>/`, so they never replace the files production consumers read.
 */
export function datasetExportPath(dataset: string, path: string, production = PRODUCTION_DATASET): string {
  return dataset === production ? path : `${dataset}/${path}`;
}

/** Parses `CONTRAIL_EXPORT_DIR`: `gs://bucket[/prefix]` or a directory. */
export function exportTarget(location: string): ExportTarget {
  const gcs = /^gs:\/\/([a-z0-9][a-z0-9._-]{1,221}[a-z0-9])(?:\/(.*))?$/.exec(location);
  if (location.startsWith('gs://') && !gcs) {
    throw new InvalidExportTargetError(
      `export location ${location}: expected gs://<bucket>[/<prefix>] with a valid bucket name`,
    );
  }
  // Taken as a directory, `s3://bucket/x` would quietly become `./s3:/bucket/x`.
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(location)?.[1];
  if (scheme !== undefined && !gcs) {
    throw new InvalidExportTargetError(
      `export location ${location}: exports go to a directory or to Google Cloud Storage (gs://<bucket>[/<prefix>]), not to ${scheme}://`,
    );
  }
  return gcs ? gcsTarget(gcs[1] as string, (gcs[2] ?? '').replace(/\/+$/, '')) : directoryTarget(location);
}

function directoryTarget(dir: string): ExportTarget {
  return {
    async write(path, text) {
      const file = join(dir, ...path.split('/'));
      // Not node's recursive mkdir: on a read-only file system it says ENOENT.
      const notMade = makeDirectory(dirname(file));
      if (notMade !== null) throw exportWriteError(file, notMade);
      // A temporary file, then a rename: atomic on one filesystem.
      const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        await writeFile(temporary, text);
        await rename(temporary, file);
      } catch (error) {
        // What was written of it goes: on a full disk a partial file would keep the space every
        // retry of the export needs, and stay beside the exports for good.
        await rm(temporary, { force: true }).catch(() => undefined);
        throw exportWriteError(file, fileRefusal(error), error);
      }
      return file;
    },
  };
}

/**
 * Objects in a bucket, written with the official client (credentials from the environment:
 * GOOGLE_APPLICATION_CREDENTIALS or the metadata server; STORAGE_EMULATOR_HOST for an
 * emulator). A single-request upload replaces the object whole.
 */
function gcsTarget(bucketName: string, prefix: string): ExportTarget {
  let bucket: Promise<import('@google-cloud/storage').Bucket> | undefined;
  return {
    async write(path, text) {
      bucket ??= import('@google-cloud/storage').then(({ Storage }) => new Storage().bucket(bucketName));
      const name = prefix ? `${prefix}/${path}` : path;
      await (await bucket).file(name).save(text, { contentType: 'application/json', resumable: false });
      return `gs://${bucketName}/${name}`;
    },
  };
}
