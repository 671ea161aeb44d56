// Limits shared by the engines and the command line, so a flag the CLI accepts is one the engine accepts.

/** The most worker threads analyze, merge and the forward pass start. */
export const MAX_THREADS = 64;
