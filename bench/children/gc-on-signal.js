// Preloaded (node -r) into the app instance the memory scenario reads, started with --expose-gc: SIGUSR2
// runs a full garbage collection, so each memory reading is taken after one and two readings compare live
// memory rather than whatever V8 had not yet collected or returned. Bench only; the app never sees it.
process.on('SIGUSR2', () => global.gc?.());
