import type { ToolVersion } from './tool-version.js';

/** The tooling version and config commit an experiment's analysis is pinned to. */
export interface Pin {
  toolVersion: string;
  buildId: string;
  /** Config-repo commit(s) configs are read at; null for plain directories. */
  configCommit: string | null;
  /** ISO time the pin was resolved at: configs are read as of this time. */
  resolvedAt: string;
}

/** What a new analysis is pinned to now: the running tooling version and the config repos' current commit. */
export function currentPin(toolVersion: ToolVersion, configCommit: string | null, now: Date): Pin {
  return {
    toolVersion: toolVersion.version,
    buildId: toolVersion.buildId,
    configCommit,
    resolvedAt: now.toISOString(),
  };
}
