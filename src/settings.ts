/** Runtime settings read from the environment, in one place. */
export interface RuntimeSettings {
  /** Temporal frontend; unset = embedded mode (a private dev server per command). */
  temporalAddress: string | null;
  namespace: string;
  taskQueue: string;
  /** Temporal Web UI base URL for links (defaults to the dev server's). */
  temporalUiUrl: string | null;
  /**
   * The Worker Deployment `contrail worker` joins when it has a build id: `CONTRAIL_DEPLOYMENT`,
   * default `contrail`.
   */
  deploymentName: string;
  /**
   * `CONTRAIL_BUILD_ID`: the exact build (set by the image build). With it, `contrail worker`
   * is a versioned worker of the deployment; without it, an unversioned worker that runs only
   * its own build (embedded mode is always unversioned).
   */
  buildId: string | null;
}

export function runtimeSettings(env: NodeJS.ProcessEnv = process.env): RuntimeSettings {
  return {
    temporalAddress: env.TEMPORAL_ADDRESS || null,
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.CONTRAIL_TASK_QUEUE || 'contrail',
    temporalUiUrl: env.TEMPORAL_UI_URL || localUiUrl(env.TEMPORAL_ADDRESS),
    deploymentName: env.CONTRAIL_DEPLOYMENT || 'contrail',
    buildId: env.CONTRAIL_BUILD_ID || null,
  };
}

/** `contrail server` (like `temporal server start-dev`) serves the UI on the gRPC port + 1000. */
function localUiUrl(address: string | undefined): string | null {
  const match = /^(localhost|127\.0\.0\.1):(\d+)$/.exec(address ?? '');
  return match ? `http://${match[1]}:${Number(match[2]) + 1000}` : null;
}
