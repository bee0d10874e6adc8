//! Row values in transit between engines: read by column kind from either engine's rows,
//! bound into either engine's multi-row inserts.

use super::schema::Kind;
use crate::{Result, StoreError};
use sqlx::Row;

/// One value with its kind, so a NULL is bound with the column's type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Int(Option<i64>),
    Float(Option<f64>),
    Bool(Option<bool>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

impl Value {
    pub(crate) fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(v) => *v,
            _ => None,
        }
    }

    pub(crate) fn null_of(&self) -> Value {
        match self {
            Value::Int(_) => Value::Int(None),
            Value::Float(_) => Value::Float(None),
            Value::Bool(_) => Value::Bool(None),
            Value::Text(_) => Value::Text(None),
            Value::Bytes(_) => Value::Bytes(None),
        }
    }
}

fn decode_err(table: &str, column: &str, e: sqlx::Error) -> StoreError {
    StoreError::Corrupt(format!("{table}.{column}: {e}"))
}

/// Reads a SQLite row. SQLite's dynamic typing is taken as it is (an integer in a real
/// column reads as a number), so the declared kind decides.
pub(crate) fn read_sqlite(row: &sqlx::sqlite::SqliteRow, table: &str, cols: &[(String, Kind)]) -> Result<Vec<Value>> {
    let mut out = Vec::with_capacity(cols.len());
    for (i, (name, kind)) in cols.iter().enumerate() {
        let e = |e| decode_err(table, name, e);
        out.push(match kind {
            Kind::Int => Value::Int(row.try_get_unchecked(i).map_err(e)?),
            Kind::Float => Value::Float(row.try_get_unchecked(i).map_err(e)?),
            Kind::Bool => Value::Bool(row.try_get_unchecked(i).map_err(e)?),
            Kind::Text => Value::Text(row.try_get_unchecked(i).map_err(e)?),
            Kind::Bytes => Value::Bytes(row.try_get_unchecked(i).map_err(e)?),
        });
    }
    Ok(out)
}

/// Reads a PostgreSQL row, checking each column's type against its kind.
pub(crate) fn read_postgres(row: &sqlx::postgres::PgRow, table: &str, cols: &[(String, Kind)]) -> Result<Vec<Value>> {
    let mut out = Vec::with_capacity(cols.len());
    for (i, (name, kind)) in cols.iter().enumerate() {
        let e = |e| decode_err(table, name, e);
        out.push(match kind {
            Kind::Int => Value::Int(row.try_get(i).map_err(e)?),
            Kind::Float => Value::Float(row.try_get(i).map_err(e)?),
            Kind::Bool => Value::Bool(row.try_get(i).map_err(e)?),
            Kind::Text => Value::Text(row.try_get(i).map_err(e)?),
            Kind::Bytes => Value::Bytes(row.try_get(i).map_err(e)?),
        });
    }
    Ok(out)
}

/// Binds one value into a multi-row insert.
pub(crate) fn push_value<'args, DB: sqlx::Database>(
    sep: &mut sqlx::query_builder::Separated<'_, 'args, DB, &'static str>,
    v: Value,
) where
    Option<i64>: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    Option<f64>: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    Option<bool>: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    Option<Vec<u8>>: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
{
    match v {
        Value::Int(x) => sep.push_bind(x),
        Value::Float(x) => sep.push_bind(x),
        Value::Bool(x) => sep.push_bind(x),
        Value::Text(x) => sep.push_bind(x),
        Value::Bytes(x) => sep.push_bind(x),
    };
}
