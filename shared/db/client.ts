/** The SQL client every data-access function takes (docs/architecture.md, "Module map"). */
import type postgres from 'postgres';

/** A postgres.js client, or the transaction handed to `sql.begin(...)`: each function runs in either. */
export type SqlClient = postgres.Sql | postgres.TransactionSql;

/** Runs `work` in a transaction, or a savepoint when `sql` is one already. */
export function inTransaction<T>(sql: SqlClient, work: (tx: SqlClient) => Promise<T>): Promise<T> {
  if ('begin' in sql) return sql.begin((tx) => work(tx)) as Promise<T>;
  return sql.savepoint((tx) => work(tx)) as Promise<T>;
}
