/** The SQL client every data-access function takes (STYLE.md rule 1). */
import type postgres from 'postgres';

/** A postgres.js client, or the transaction handed to `sql.begin(...)`: each function runs in either. */
export type SqlClient = postgres.Sql | postgres.TransactionSql;
