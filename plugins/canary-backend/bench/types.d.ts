// Modules without types that the benchmarks use.
/** autocannon: the benchmark reads a few fields of its result. */
declare module 'autocannon';
/** better-sqlite3: only to create a SQLite file in WAL mode. */
declare module 'better-sqlite3';
