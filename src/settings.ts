/** Runtime settings read from the environment, in one place. */
export interface RuntimeSettings {
  /** Temporal frontend; unset = embedded mode (a private dev server per command). */
  temporalAddress: string | null;
  namespace: string;
  taskQueue: string;
  /** Temporal Web UI base URL for links (defaults to the dev server's). */
  temporalUiUrl: string | null;
}

export function runtimeSettings(env: NodeJS.ProcessEnv = process.env): RuntimeSettings {
  return {
    temporalAddress: env.TEMPORAL_ADDRESS || null,
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.CONTRAIL_TASK_QUEUE || 'contrail',
    temporalUiUrl: env.TEMPORAL_UI_URL || null,
  };
}
