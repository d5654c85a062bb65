// Loads contrail's TypeScript sources through tsx. `node --import tsx` resolves tsx from the
// working directory, so the CLI failed outside the checkout; this file resolves it from the
// package, and worker threads inherit it by its absolute path.
import 'tsx';
