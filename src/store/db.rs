//! The two SQL engines behind [`super::Store`], one interface: SQLite (the embedded default, a file
//! on the user's disk) and PostgreSQL (shared mode, issue 14). The store's queries are written
//! once, with SQLite's `?N` placeholders, and run on either: this module binds and reads values
//! as one small [`Value`] type, rewrites placeholders for PostgreSQL, and gives both engines the
//! same transaction guard. What the dialects spell differently (JSON, `MAX` of two values) is
//! asked of [`Dialect`]; nothing else here knows a table.
//!
//! The `postgres` client runs its own Tokio runtime, which may not be started from inside
//! another one (`run` is async): so a PostgreSQL connection lives on a thread of its own and
//! every call is a message to it. The caller blocks, exactly as it does on SQLite's file I/O.

use std::sync::mpsc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};

use crate::provider::Platform;

/// One value bound to or read from a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// Any integer (SQLite INTEGER, PostgreSQL BIGINT/INTEGER/SMALLINT/BOOLEAN).
    Int(i64),
    /// A float.
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes (media chunks, sealed tokens).
    Blob(Vec<u8>),
}

/// Why a statement failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite's own error.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL's own error (the server's message and SQLSTATE, or the connection's).
    /// (Not a `#[source]`: its chain is already in the one line, and would repeat it.)
    #[error("{}", pg_message(.0))]
    Pg(postgres::Error),
    /// A column held something its reader does not accept.
    #[error("column {idx}: {message}")]
    Conversion {
        /// Column index.
        idx: usize,
        /// What was wrong.
        message: String,
    },
    /// `query_row` found no row.
    #[error("no row")]
    NoRows,
    /// TLS could not be set up (a bad CA file).
    #[error("{0}")]
    Tls(String),
    /// The connection's thread is gone (it panicked, or the connection broke).
    #[error("the connection to the database was lost")]
    Gone,
}

impl From<postgres::Error> for DbError {
    fn from(e: postgres::Error) -> Self {
        Self::Pg(e)
    }
}

/// PostgreSQL's error as one line: the server's message when there is one (`Display` of
/// `postgres::Error` says only "db error").
fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                text = format!("{text}: {s}");
                source = s.source();
            }
            text
        }
    }
}

impl DbError {
    /// A conversion failure of column `idx`.
    pub fn conversion(idx: usize, message: impl Into<String>) -> Self {
        Self::Conversion {
            idx,
            message: message.into(),
        }
    }

    /// The disk (SQLite's) is full or failing: the hint says to check its space.
    pub fn is_disk_full(&self) -> bool {
        match self {
            Self::Sqlite(e) => matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DiskFull | rusqlite::ErrorCode::SystemIoFailure)
            ),
            Self::Pg(e) => e
                .as_db_error()
                .is_some_and(|d| d.code().code().starts_with("53")),
            _ => false,
        }
    }

    /// PostgreSQL's SQLSTATE, when the server sent one.
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            Self::Pg(e) => e.as_db_error().map(|d| d.code().code()),
            _ => None,
        }
    }
}

/// A store query's result.
pub type DbResult<T> = std::result::Result<T, DbError>;

/// `.optional()` on a `query_row`, as rusqlite spells it.
pub trait OptionalExtension<T> {
    /// `None` for no row.
    fn optional(self) -> DbResult<Option<T>>;
}

impl<T> OptionalExtension<T> for DbResult<T> {
    fn optional(self) -> DbResult<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(DbError::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A Rust value a statement can bind.
pub trait ToValue {
    /// The value to bind.
    fn to_value(&self) -> Value;
}

macro_rules! int_to_value {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
            }
        }
    )*};
}
int_to_value!(i64, i32, u32, u64, usize, u16, u8);

impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl ToValue for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}
impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}
impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl ToValue for [u8] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}
impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Blob(self.clone())
    }
}
impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}
impl ToValue for Platform {
    fn to_value(&self) -> Value {
        Value::Text(self.as_str().into())
    }
}
impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}
impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}

/// A Rust value a column can be read as.
pub trait FromValue: Sized {
    /// The column's value as `Self`, or why not.
    fn from_value(v: &Value) -> Result<Self, String>;
}

macro_rules! int_from_value {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(v: &Value) -> Result<Self, String> {
                match v {
                    Value::Int(i) => <$t>::try_from(*i).map_err(|e| e.to_string()),
                    other => Err(format!("expected an integer, found {other:?}")),
                }
            }
        }
    )*};
}
int_from_value!(i64, i32, u32, u64, usize);

impl FromValue for bool {
    fn from_value(v: &Value) -> Result<Self, String> {
        i64::from_value(v).map(|i| i != 0)
    }
}
impl FromValue for f64 {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Real(f) => Ok(*f),
            Value::Int(i) => Ok(*i as f64),
            other => Err(format!("expected a number, found {other:?}")),
        }
    }
}
impl FromValue for String {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Text(s) => Ok(s.clone()),
            other => Err(format!("expected text, found {other:?}")),
        }
    }
}
impl FromValue for Vec<u8> {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Blob(b) => Ok(b.clone()),
            Value::Text(s) => Ok(s.clone().into_bytes()),
            other => Err(format!("expected bytes, found {other:?}")),
        }
    }
}
impl FromValue for Platform {
    fn from_value(v: &Value) -> Result<Self, String> {
        String::from_value(v)?
            .parse()
            .map_err(|e: crate::error::Error| e.to_string())
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// What a column is named by: its position.
pub trait ColumnIndex {
    /// The position.
    fn index(self) -> usize;
}
impl ColumnIndex for usize {
    fn index(self) -> usize {
        self
    }
}

/// One row of a result, as rusqlite's `Row` reads.
pub struct Row<'a> {
    values: &'a [Value],
}

impl Row<'_> {
    /// Column `idx` as `T`.
    pub fn get<I: ColumnIndex, T: FromValue>(&self, idx: I) -> DbResult<T> {
        let idx = idx.index();
        let value = self
            .values
            .get(idx)
            .ok_or_else(|| DbError::conversion(idx, "no such column"))?;
        T::from_value(value).map_err(|m| DbError::conversion(idx, m))
    }
}

/// What a statement binds: `params![…]`, an array, or nothing (`[]`).
pub trait Params {
    /// The values, in order.
    fn values(self) -> Vec<Value>;
}
impl Params for &[&dyn ToValue] {
    fn values(self) -> Vec<Value> {
        self.iter().map(|v| v.to_value()).collect()
    }
}
impl Params for [&dyn ToValue; 0] {
    fn values(self) -> Vec<Value> {
        Vec::new()
    }
}
macro_rules! array_params {
    ($($n:literal),*) => {$(
        impl<T: ToValue> Params for [T; $n] {
            fn values(self) -> Vec<Value> {
                self.iter().map(ToValue::to_value).collect()
            }
        }
    )*};
}
array_params!(1, 2, 3, 4, 5, 6, 7, 8);
impl<T: ToValue> Params for Vec<T> {
    fn values(self) -> Vec<Value> {
        self.iter().map(ToValue::to_value).collect()
    }
}

/// `params![a, b]`: values of mixed types for one statement.
#[macro_export]
#[doc(hidden)]
macro_rules! db_params {
    () => { &[] as &[&dyn $crate::store::db::ToValue] };
    ($($p:expr),+ $(,)?) => { &[$(&$p as &dyn $crate::store::db::ToValue),+] as &[&dyn $crate::store::db::ToValue] };
}
pub use crate::db_params as params;

/// Which SQL dialect a connection speaks, for the few things the two spell differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// How a transaction starts, as rusqlite names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionBehavior {
    /// Take the write lock at the first write.
    Deferred,
    /// Take the write lock now: the reads inside see what the writes will change.
    Immediate,
    /// Like `Immediate` (SQLite also keeps readers out; a migration).
    Exclusive,
}

/// PostgreSQL's stand-in for SQLite's one writer at a time: every write transaction postez
/// opens takes this advisory lock, so a read-then-write in one transaction sees what it changes
/// exactly as on SQLite. The runners' claims and fenced writes do not take it (they lock rows
/// with `FOR UPDATE SKIP LOCKED` and check their fence); see `store/shared.rs`.
const WRITER_LOCK: i64 = 0x706f_7374_657a; // "postez"

/// A connection to either engine.
pub enum Conn {
    /// The embedded default.
    Sqlite(rusqlite::Connection),
    /// Shared mode.
    Pg(PgConn),
}

impl Conn {
    /// Which dialect this connection speaks.
    pub fn dialect(&self) -> Dialect {
        match self {
            Self::Sqlite(_) => Dialect::Sqlite,
            Self::Pg(_) => Dialect::Postgres,
        }
    }

    /// The SQLite connection, for what only SQLite has (pragmas, its checkpoint).
    pub fn sqlite(&self) -> Option<&rusqlite::Connection> {
        match self {
            Self::Sqlite(c) => Some(c),
            Self::Pg(_) => None,
        }
    }

    /// Run `sql` once and return every row.
    pub fn rows(&self, sql: &str, params: Vec<Value>) -> DbResult<Vec<Vec<Value>>> {
        match self {
            Self::Sqlite(c) => sqlite_rows(c, sql, &params),
            Self::Pg(c) => c.rows(sql, params),
        }
    }

    /// Run one statement; the number of rows it changed.
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> DbResult<usize> {
        let params = params.values();
        match self {
            Self::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let n = stmt.execute(rusqlite::params_from_iter(params.iter().map(to_sqlite)))?;
                Ok(n)
            }
            Self::Pg(c) => c.execute(sql, params),
        }
    }

    /// Run several statements without parameters (migrations, transaction control).
    pub fn execute_batch(&self, sql: &str) -> DbResult<()> {
        match self {
            Self::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Self::Pg(c) => c.batch(sql),
        }
    }

    /// The first row of `sql`, mapped by `f`; [`DbError::NoRows`] when there is none.
    pub fn query_row<P, T, F>(&self, sql: &str, params: P, f: F) -> DbResult<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> DbResult<T>,
    {
        let rows = self.rows(sql, params.values())?;
        let first = rows.first().ok_or(DbError::NoRows)?;
        f(&Row { values: first })
    }

    /// A statement to run (rusqlite's shape; SQLite caches every statement it prepares).
    pub fn prepare(&self, sql: &str) -> DbResult<Stmt<'_>> {
        Ok(Stmt {
            conn: self,
            sql: sql.to_owned(),
        })
    }

    /// Same as [`Conn::prepare`].
    pub fn prepare_cached(&self, sql: &str) -> DbResult<Stmt<'_>> {
        self.prepare(sql)
    }

    /// Begin a deferred transaction.
    pub fn transaction(&self) -> DbResult<Tx<'_>> {
        self.transaction_with_behavior(TransactionBehavior::Deferred)
    }

    /// Begin a transaction; it rolls back when dropped uncommitted. On PostgreSQL every such
    /// transaction takes [`WRITER_LOCK`].
    pub fn transaction_with_behavior(&self, behavior: TransactionBehavior) -> DbResult<Tx<'_>> {
        match self {
            Self::Sqlite(c) => c.execute_batch(match behavior {
                TransactionBehavior::Deferred => "BEGIN DEFERRED",
                TransactionBehavior::Immediate => "BEGIN IMMEDIATE",
                TransactionBehavior::Exclusive => "BEGIN EXCLUSIVE",
            })?,
            Self::Pg(c) => c.batch(&format!(
                "BEGIN; SELECT pg_advisory_xact_lock({WRITER_LOCK})"
            ))?,
        }
        Ok(Tx {
            conn: self,
            done: false,
        })
    }

    /// Begin a PostgreSQL transaction that leaves row locking to its statements (the runners'
    /// claims, `SELECT … FOR UPDATE` of a login): it does not take [`WRITER_LOCK`] exclusively,
    /// only shared, so user commands still never interleave with it. On SQLite, `IMMEDIATE`.
    pub fn row_locking_transaction(&self) -> DbResult<Tx<'_>> {
        match self {
            Self::Sqlite(c) => c.execute_batch("BEGIN IMMEDIATE")?,
            Self::Pg(c) => c.batch(&format!(
                "BEGIN; SELECT pg_advisory_xact_lock_shared({WRITER_LOCK})"
            ))?,
        }
        Ok(Tx {
            conn: self,
            done: false,
        })
    }
}

/// A prepared statement (rusqlite's shape: `query_map`, `execute`).
pub struct Stmt<'c> {
    conn: &'c Conn,
    sql: String,
}

impl Stmt<'_> {
    /// Every row mapped by `f` (read eagerly: the store's result sets are pages, not tables).
    pub fn query_map<P, T, F>(
        &mut self,
        params: P,
        mut f: F,
    ) -> DbResult<std::vec::IntoIter<DbResult<T>>>
    where
        P: Params,
        F: FnMut(&Row<'_>) -> DbResult<T>,
    {
        let rows = self.conn.rows(&self.sql, params.values())?;
        Ok(rows
            .iter()
            .map(|values| f(&Row { values }))
            .collect::<Vec<_>>()
            .into_iter())
    }

    /// Its first row mapped by `f` (an `INSERT … RETURNING`).
    pub fn query_row<P, T, F>(&mut self, params: P, f: F) -> DbResult<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> DbResult<T>,
    {
        self.conn.query_row(&self.sql, params, f)
    }

    /// Run it; the number of rows changed.
    pub fn execute<P: Params>(&mut self, params: P) -> DbResult<usize> {
        self.conn.execute(&self.sql, params)
    }

    /// Whether it returns any row.
    pub fn exists<P: Params>(&mut self, params: P) -> DbResult<bool> {
        Ok(!self.conn.rows(&self.sql, params.values())?.is_empty())
    }
}

/// An open transaction: statements run on it through `Deref`; dropped without
/// [`Tx::commit`], it rolls back.
pub struct Tx<'c> {
    conn: &'c Conn,
    done: bool,
}

impl Tx<'_> {
    /// Make its changes durable.
    pub fn commit(mut self) -> DbResult<()> {
        self.done = true;
        self.conn.execute_batch("COMMIT")
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if !self.done {
            // Nothing to report: the error that left it uncommitted is already on its way.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

fn to_sqlite(v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as S;
    match v {
        Value::Null => S::Null,
        Value::Int(i) => S::Integer(*i),
        Value::Real(f) => S::Real(*f),
        Value::Text(t) => S::Text(t.clone()),
        Value::Blob(b) => S::Blob(b.clone()),
    }
}

fn sqlite_rows(c: &rusqlite::Connection, sql: &str, params: &[Value]) -> DbResult<Vec<Vec<Value>>> {
    let mut stmt = c.prepare_cached(sql)?;
    let width = stmt.column_count();
    let mut rows = stmt.query(rusqlite::params_from_iter(params.iter().map(to_sqlite)))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut values = Vec::with_capacity(width);
        for i in 0..width {
            use rusqlite::types::ValueRef as R;
            values.push(match row.get_ref(i)? {
                R::Null => Value::Null,
                R::Integer(n) => Value::Int(n),
                R::Real(f) => Value::Real(f),
                R::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                R::Blob(b) => Value::Blob(b.to_vec()),
            });
        }
        out.push(values);
    }
    Ok(out)
}

/// A store query, written for SQLite, as PostgreSQL spells it: placeholders
/// ([`pg_placeholders`]), `json_extract(x, '$.k')` and `json_remove(x, '$.k')` on JSON text, and
/// the two-argument `MAX`/`MIN` (PostgreSQL's `GREATEST`/`LEAST`). The store writes each query
/// once; what else differs is asked of [`Dialect`] where it is written.
pub fn to_pg(sql: &str) -> String {
    pg_statement(sql, Vec::new()).0
}

/// [`to_pg`] of `sql`, with the values it takes in its new order, in one pass over the text.
fn pg_statement(sql: &str, params: Vec<Value>) -> (String, Vec<PgValue>) {
    let (mut sql, used) = renumber(&pg_placeholders(sql));
    for (name, rewrite) in [
        ("json_extract(", JsonRewrite::Extract),
        ("json_remove(", JsonRewrite::Remove),
    ] {
        sql = rewrite_json(&sql, name, rewrite);
    }
    for (name, pg) in [("MAX(", "GREATEST("), ("MIN(", "LEAST(")] {
        sql = rewrite_two_argument(&sql, name, pg);
    }
    let params = used
        .into_iter()
        .map(|i| PgValue(params.get(i).cloned().unwrap_or(Value::Null)))
        .collect();
    (sql, params)
}

#[derive(Clone, Copy)]
enum JsonRewrite {
    Extract,
    Remove,
}

/// The index just past the parenthesis closing the one open before `from`, and the top-level
/// commas in between.
fn closing(sql: &str, from: usize) -> Option<(usize, Vec<usize>)> {
    let mut depth = 1;
    let mut commas = Vec::new();
    let mut quoted = false;
    for (i, c) in sql[from..].char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth -= 1;
                if depth == 0 {
                    return Some((from + i + 1, commas));
                }
            }
            ',' if !quoted && depth == 1 => commas.push(from + i),
            _ => {}
        }
    }
    None
}

fn rewrite_json(sql: &str, name: &str, how: JsonRewrite) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(at) = rest.find(name) {
        let open = at + name.len();
        let Some((end, commas)) = closing(rest, open) else {
            break;
        };
        let [comma] = commas[..] else {
            break;
        };
        let column = rest[open..comma].trim();
        let path = rest[comma + 1..end - 1].trim();
        let key = path.trim_matches('\'').trim_start_matches("$.");
        out.push_str(&rest[..at]);
        out.push_str(&match how {
            // Through text first: a bound value stays text, whatever else it is compared to.
            JsonRewrite::Extract => format!("(({column})::text::jsonb ->> '{key}')"),
            JsonRewrite::Remove => format!("((({column})::text::jsonb - '{key}')::text)"),
        });
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// `MAX(a, b)` as `GREATEST(a, b)`; the one-argument aggregate stays.
fn rewrite_two_argument(sql: &str, name: &str, pg: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(at) = rest.find(name) {
        let open = at + name.len();
        // A function name, not the end of a longer one (`COUNT_MAX(`).
        let word_start = at == 0
            || !rest[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        let two = closing(rest, open).is_some_and(|(_, commas)| commas.len() == 1);
        out.push_str(&rest[..at]);
        out.push_str(if word_start && two { pg } else { name });
        rest = &rest[open..];
    }
    out.push_str(rest);
    out
}

/// `$N` placeholders numbered 1, 2, … in the order of first use, and which of the caller's
/// values each new number takes (0-based). SQLite lets a statement leave a bound value unused
/// (one parameter list for two variants of a query); PostgreSQL cannot type an unused one.
fn renumber(sql: &str) -> (String, Vec<usize>) {
    let mut used: Vec<usize> = Vec::new();
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c != '$' || quoted {
            out.push(c);
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            digits.push(*d);
            chars.next();
        }
        let Ok(n) = digits.parse::<usize>() else {
            out.push('$');
            out.push_str(&digits);
            continue;
        };
        let new = match used.iter().position(|&u| u == n) {
            Some(i) => i + 1,
            None => {
                used.push(n);
                used.len()
            }
        };
        out.push('$');
        out.push_str(&new.to_string());
    }
    (out, used.into_iter().map(|n| n - 1).collect())
}

/// SQLite's `?N` and `?` placeholders as PostgreSQL's `$N` (text in quotes left alone).
pub fn pg_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut quoted = false;
    let mut next = 0;
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                if digits.is_empty() {
                    next += 1;
                    digits = next.to_string();
                } else {
                    // SQLite numbers a bare `?` one past the largest number used before it.
                    next = next.max(digits.parse().unwrap_or(next));
                }
                out.push('$');
                out.push_str(&digits);
            }
            _ => out.push(c),
        }
    }
    out
}

/// A bound value as PostgreSQL wants it for the parameter's type (which the server inferred
/// from the statement): an integer for a BIGINT column, text for a TEXT one.
#[derive(Debug)]
struct PgValue(Value);

impl ToSql for PgValue {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match &self.0 {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::FLOAT4 => (*i as f32).to_sql(ty, out),
                _ => i.to_string().to_sql(&Type::TEXT, out),
            },
            Value::Real(f) => match *ty {
                Type::FLOAT4 => (*f as f32).to_sql(ty, out),
                Type::FLOAT8 => f.to_sql(ty, out),
                _ => f.to_string().to_sql(&Type::TEXT, out),
            },
            Value::Text(t) => match *ty {
                Type::INT8 => t.parse::<i64>()?.to_sql(ty, out),
                Type::INT4 => t.parse::<i32>()?.to_sql(ty, out),
                Type::TIMESTAMPTZ => DateTime::parse_from_rfc3339(t)?
                    .with_timezone(&Utc)
                    .to_sql(ty, out),
                // JSONB's binary form is a version byte, then the text.
                Type::JSONB => {
                    out.extend_from_slice(&[1]);
                    out.extend_from_slice(t.as_bytes());
                    Ok(IsNull::No)
                }
                _ => t.as_str().to_sql(&Type::TEXT, out),
            },
            Value::Blob(b) => b.as_slice().to_sql(&Type::BYTEA, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn pg_value(row: &postgres::Row, i: usize) -> DbResult<Value> {
    let ty = row.columns()[i].type_().clone();
    let conv = |e: postgres::Error| DbError::from(e);
    Ok(match ty {
        Type::INT8 => row
            .try_get::<_, Option<i64>>(i)
            .map_err(conv)?
            .map(Value::Int),
        Type::INT4 => row
            .try_get::<_, Option<i32>>(i)
            .map_err(conv)?
            .map(|v| Value::Int(v.into())),
        Type::INT2 => row
            .try_get::<_, Option<i16>>(i)
            .map_err(conv)?
            .map(|v| Value::Int(v.into())),
        Type::BOOL => row
            .try_get::<_, Option<bool>>(i)
            .map_err(conv)?
            .map(|v| Value::Int(v.into())),
        Type::FLOAT8 => row
            .try_get::<_, Option<f64>>(i)
            .map_err(conv)?
            .map(Value::Real),
        Type::FLOAT4 => row
            .try_get::<_, Option<f32>>(i)
            .map_err(conv)?
            .map(|v| Value::Real(v.into())),
        Type::BYTEA => row
            .try_get::<_, Option<Vec<u8>>>(i)
            .map_err(conv)?
            .map(Value::Blob),
        Type::TIMESTAMPTZ => row
            .try_get::<_, Option<DateTime<Utc>>>(i)
            .map_err(conv)?
            .map(|t| Value::Text(super::db_time(t))),
        Type::TEXT | Type::VARCHAR | Type::NAME | Type::BPCHAR | Type::UNKNOWN => row
            .try_get::<_, Option<String>>(i)
            .map_err(conv)?
            .map(Value::Text),
        other => {
            return Err(DbError::conversion(
                i,
                format!("PostgreSQL type {other} is not read by postez (cast it in the query)"),
            ));
        }
    }
    .unwrap_or(Value::Null))
}

/// Whether every host of `config` is this machine (loopback or a Unix socket), addresses
/// given apart (`hostaddr`) included.
fn is_local(config: &postgres::Config) -> bool {
    !config.get_hosts().is_empty()
        && config.get_hostaddrs().iter().all(|ip| ip.is_loopback())
        && config.get_hosts().iter().all(|h| match h {
            postgres::config::Host::Tcp(name) => {
                name == "localhost"
                    || name
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            }
            #[cfg(unix)]
            postgres::config::Host::Unix(_) => true,
        })
}

/// rustls with the public roots, plus the team's own CA when given (`POSTEZ_DATABASE_CA`): a
/// server whose certificate does not verify for its name is refused (a spoofed server sees no
/// password and no data).
fn tls_connector(
    ca: Option<&std::path::Path>,
) -> DbResult<tokio_postgres_rustls::MakeRustlsConnect> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca {
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| {
                DbError::Tls(format!(
                    "could not read the CA file `{}`: {e}",
                    path.display()
                ))
            })?;
        for cert in certs {
            roots.add(cert).map_err(|e| {
                DbError::Tls(format!(
                    "the CA file `{}` holds a bad certificate: {e}",
                    path.display()
                ))
            })?;
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| DbError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

type Job = Box<dyn FnOnce(&mut postgres::Client) + Send>;

/// A PostgreSQL connection on its own thread (see the module's note).
pub struct PgConn {
    jobs: mpsc::Sender<Job>,
}

impl PgConn {
    /// Connect to `url`, giving up after `timeout` (an unreachable server is an error, not a
    /// hang).
    pub fn connect(url: &str, timeout: Duration, ca: Option<&std::path::Path>) -> DbResult<Self> {
        // libpq's names for "verify the certificate" mean what `require` does here: rustls
        // always verifies the server's certificate and name.
        let url = url
            .replace("sslmode=verify-full", "sslmode=require")
            .replace("sslmode=verify-ca", "sslmode=require");
        let mut config: postgres::Config = url.parse()?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(timeout);
        }
        config.application_name("postez");
        // A connection that went silent (a NAT timeout, a failover without a reset) must fail
        // in a minute, not hold a runner, and the accounts its heartbeat renews, for hours.
        config.keepalives_idle(Duration::from_secs(30));
        config.tcp_user_timeout(Duration::from_secs(60));
        // A queue across the network holds the team's work and sealed logins: TLS with a
        // verified certificate is required there unless the URL says `sslmode=disable` itself.
        // On this machine (loopback, a Unix socket) plain unless the URL asks for TLS: a local
        // server's certificate is usually its own self-signed one.
        let named = url.contains("sslmode=");
        let local = is_local(&config);
        if !local && !url.contains("sslmode=disable") {
            config.ssl_mode(postgres::config::SslMode::Require);
        }
        let tls = if local && !named {
            None
        } else {
            Some(tls_connector(ca)?)
        };
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (ready_tx, ready) = mpsc::channel();
        std::thread::Builder::new()
            .name("postgres".into())
            .spawn(move || {
                let connected = match tls {
                    Some(tls) => config.connect(tls),
                    None => config.connect(postgres::NoTls),
                };
                let mut client = match connected {
                    Ok(c) => {
                        let _ = ready_tx.send(Ok(()));
                        c
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                while let Ok(job) = inbox.recv() {
                    job(&mut client);
                }
            })
            .map_err(|_| DbError::Gone)?;
        ready.recv().map_err(|_| DbError::Gone)??;
        Ok(Self { jobs })
    }

    fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut postgres::Client) -> R + Send + 'static,
    ) -> DbResult<R> {
        let (tx, rx) = mpsc::channel();
        self.jobs
            .send(Box::new(move |c| {
                let _ = tx.send(f(c));
            }))
            .map_err(|_| DbError::Gone)?;
        rx.recv().map_err(|_| DbError::Gone)
    }

    fn rows(&self, sql: &str, params: Vec<Value>) -> DbResult<Vec<Vec<Value>>> {
        let (sql, params) = pg_statement(sql, params);
        self.call(move |c| -> DbResult<Vec<Vec<Value>>> {
            let refs: Vec<&(dyn ToSql + Sync)> =
                params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
            let stmt = c.prepare(&sql)?;
            let rows = c.query(&stmt, &refs)?;
            rows.iter()
                .map(|r| (0..r.len()).map(|i| pg_value(r, i)).collect())
                .collect()
        })?
    }

    fn execute(&self, sql: &str, params: Vec<Value>) -> DbResult<usize> {
        let (sql, params) = pg_statement(sql, params);
        self.call(move |c| -> DbResult<usize> {
            let refs: Vec<&(dyn ToSql + Sync)> =
                params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
            Ok(usize::try_from(c.execute(sql.as_str(), &refs)?).unwrap_or(usize::MAX))
        })?
    }

    fn batch(&self, sql: &str) -> DbResult<()> {
        let sql = sql.to_owned();
        self.call(move |c| c.batch_execute(&sql).map_err(DbError::from))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_rewritten_outside_quotes() {
        assert_eq!(
            pg_placeholders("SELECT ?1, ?2 || 'a?b', ?1 WHERE x = ?"),
            "SELECT $1, $2 || 'a?b', $1 WHERE x = $3"
        );
        assert_eq!(pg_placeholders("a = ? AND b = ?"), "a = $1 AND b = $2");
    }

    #[test]
    fn only_this_machine_may_go_without_tls() {
        let local = |url: &str| is_local(&url.parse().unwrap());
        assert!(local("postgres://u@127.0.0.1:5432/db"));
        assert!(local("postgres://u@localhost/db"));
        assert!(local("postgres://u@[::1]/db"));
        assert!(!local("postgres://u@db.example.com/db"));
        assert!(!local("postgres://u@10.0.0.5/db"));
        assert!(!local("postgres://u@localhost,db.example.com/db"));
        assert!(!local("postgres://u@localhost/db?hostaddr=203.0.113.7"));
        assert!(local("postgres://u@localhost/db?hostaddr=127.0.0.1"));
    }

    #[test]
    fn unused_values_are_left_out_for_postgres() {
        let sql = "UPDATE t SET a = ?3 WHERE id = ?1 AND b = ?3";
        assert_eq!(to_pg(sql), "UPDATE t SET a = $1 WHERE id = $2 AND b = $1");
        let (_, params) = pg_statement(sql, vec![Value::Int(1), Value::Int(2), Value::Int(3)]);
        let got: Vec<Value> = params.into_iter().map(|p| p.0).collect();
        assert_eq!(got, vec![Value::Int(3), Value::Int(1)]);
    }

    #[test]
    fn sqlite_spellings_become_postgres_ones() {
        assert_eq!(
            to_pg("SELECT json_extract(p.checkpoint, '$.id'), MAX(id) FROM t WHERE x = ?1"),
            "SELECT ((p.checkpoint)::text::jsonb ->> 'id'), MAX(id) FROM t WHERE x = $1"
        );
        assert_eq!(
            to_pg("SET c = json_remove(checkpoint, '$.upload_url'), n = MAX(COALESCE(n, ?3), ?3)"),
            "SET c = (((checkpoint)::text::jsonb - 'upload_url')::text), n = GREATEST(COALESCE(n, $1), $1)"
        );
        assert_eq!(
            to_pg("WHEN a < b THEN MIN(due_at, ?18) ELSE ?1 END"),
            "WHEN a < b THEN LEAST(due_at, $1) ELSE $2 END"
        );
    }

    #[test]
    fn sqlite_round_trips_every_value() {
        let conn = Conn::Sqlite(rusqlite::Connection::open_in_memory().unwrap());
        conn.execute_batch("CREATE TABLE t (a, b, c, d, e)")
            .unwrap();
        conn.execute(
            "INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)",
            params![7i64, 1.5f64, "x", vec![1u8, 2], None::<String>],
        )
        .unwrap();
        let got = conn
            .query_row("SELECT a, b, c, d, e FROM t", [], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, f64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })
            .unwrap();
        assert_eq!(got, (7, 1.5, "x".into(), vec![1, 2], None));
        assert!(matches!(
            conn.query_row("SELECT a FROM t WHERE a = 0", [], |r| r.get::<_, i64>(0)),
            Err(DbError::NoRows)
        ));
    }

    #[test]
    fn an_uncommitted_transaction_rolls_back() {
        let conn = Conn::Sqlite(rusqlite::Connection::open_in_memory().unwrap());
        conn.execute_batch("CREATE TABLE t (a)").unwrap();
        {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .unwrap();
            tx.execute("INSERT INTO t VALUES (1)", []).unwrap();
        }
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
    }
}
