/** The exit code of a test process that kept running after its tests (scripts/test-linger.mjs). */
export declare const LINGERED_EXIT: number;
