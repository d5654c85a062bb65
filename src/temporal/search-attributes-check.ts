import type { Client } from '@temporalio/client';
import { CONTRAIL_SEARCH_ATTRIBUTES } from './search-attributes.js';

/**
 * contrail's search attributes a namespace lacks. Workflows set them as they go; on a namespace
 * without them every workflow task fails and is retried, so a run would wait forever with
 * nothing but a worker warning to say why. Empty when all are there, or when the server does
 * not list them to this caller (then the workflows are the check).
 */
export async function missingSearchAttributes(client: Client, namespace: string): Promise<string[]> {
  let registered: Set<string>;
  try {
    const response = await client.connection.operatorService.listSearchAttributes({ namespace });
    registered = new Set(Object.keys(response.customAttributes ?? {}));
  } catch {
    return [];
  }
  return CONTRAIL_SEARCH_ATTRIBUTES.map((key) => key.name).filter((name) => !registered.has(name));
}

/** What to tell an operator whose namespace lacks `missing`: which, and the commands that create them. */
export function missingSearchAttributesMessage(namespace: string, missing: readonly string[]): string {
  const create = missing
    .map(
      (name) =>
        `temporal operator search-attribute create --namespace ${namespace} --name ${name} --type Keyword`,
    )
    .join('; ');
  return `namespace ${namespace} lacks contrail's search attributes ${missing.join(', ')}, so every contrail workflow would wait forever; create them (${create}) and run this again`;
}
