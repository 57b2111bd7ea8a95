//! turso_core: a tiny in-memory SQL engine shaped like Turso's core crate.
//!
//! It understands CREATE TABLE, INSERT, SELECT (WHERE, ORDER BY, LIMIT) and a few scalar
//! functions. Some bugs in it are planted on purpose: see README.md.

pub mod functions;
pub mod schema;
pub mod storage;
pub mod translate;
pub mod types;
pub mod vdbe;

pub use types::Value;

use std::fmt;

/// A SQL-level error (the panics are the deliberate bugs; errors are the user's fault).
#[derive(Debug, Clone, PartialEq)]
pub enum LimboError {
    Parse(String),
    Runtime(String),
}

impl fmt::Display for LimboError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimboError::Parse(msg) => write!(f, "Parse error: {msg}"),
            LimboError::Runtime(msg) => write!(f, "Runtime error: {msg}"),
        }
    }
}

impl std::error::Error for LimboError {}

pub type Result<T> = std::result::Result<T, LimboError>;

/// Rows produced by one statement (empty for DDL and DML).
pub type Rows = Vec<Vec<Value>>;

/// An in-memory database. Every connection owns its own database, like `:memory:`.
#[derive(Default)]
pub struct Connection {
    schema: schema::Schema,
}

impl Connection {
    pub fn open_memory() -> Connection {
        Connection::default()
    }

    /// Executes every statement of `sql`; returns the rows of each statement in order.
    pub fn execute_batch(&mut self, sql: &str) -> Result<Vec<Rows>> {
        let statements = translate::parser::parse_statements(sql)?;
        let mut out = Vec::with_capacity(statements.len());
        for stmt in statements {
            out.push(vdbe::execute::execute(&mut self.schema, stmt)?);
        }
        Ok(out)
    }

    /// Parses `sql` into statements without running them.
    pub fn prepare(&self, sql: &str) -> Result<Vec<translate::parser::Stmt>> {
        translate::parser::parse_statements(sql)
    }

    /// Runs one parsed statement.
    pub fn run(&mut self, stmt: translate::parser::Stmt) -> Result<Rows> {
        vdbe::execute::execute(&mut self.schema, stmt)
    }

    /// Executes one statement (the simulator's entry point).
    pub fn execute(&mut self, sql: &str) -> Result<Rows> {
        let mut all = self.execute_batch(sql)?;
        Ok(all.pop().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(conn: &mut Connection, sql: &str) -> Vec<String> {
        conn.execute_batch(sql)
            .unwrap()
            .into_iter()
            .flatten()
            .map(|row| row.iter().map(|v| v.to_string()).collect::<Vec<_>>().join("|"))
            .collect()
    }

    #[test]
    fn create_insert_select() {
        let mut conn = Connection::open_memory();
        let rows = run(
            &mut conn,
            "CREATE TABLE t(a INTEGER, b TEXT); INSERT INTO t VALUES (2, 'x'), (1, 'y'); SELECT b, a FROM t ORDER BY a;",
        );
        assert_eq!(rows, vec!["y|1", "x|2"]);
    }

    #[test]
    fn where_and_functions() {
        let mut conn = Connection::open_memory();
        let rows = run(
            &mut conn,
            "CREATE TABLE t(a, b); INSERT INTO t VALUES (1, 'abc'), (2, NULL), (3, 'hello'); \
             SELECT a, upper(b), length(b) FROM t WHERE a >= 2 AND b IS NOT NULL;",
        );
        assert_eq!(rows, vec!["3|HELLO|5"]);
    }

    #[test]
    fn reals_print_like_sqlite() {
        assert_eq!(Value::Real(3.0).to_string(), "3.0");
        assert_eq!(Value::Real(0.1 + 0.2).to_string(), "0.3");
        assert_eq!(Value::Real(1e20).to_string(), "1.0e+20");
        assert_eq!(Value::Real(-2.5).to_string(), "-2.5");
    }

    #[test]
    fn errors_are_not_panics() {
        let mut conn = Connection::open_memory();
        assert!(conn.execute("SELECT * FROM missing").is_err());
        assert!(conn.execute("SELEKT 1").is_err());
        conn.execute("CREATE TABLE t(a, b)").unwrap();
        assert!(conn.execute("INSERT INTO t VALUES (1)").is_err());
    }
}
