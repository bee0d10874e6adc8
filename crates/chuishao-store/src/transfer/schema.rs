//! What the copy needs to know about a schema, read from the database itself (SQLite's
//! `sqlite_master` and pragmas, PostgreSQL's catalogue): tables, columns with their kind,
//! primary keys, foreign keys and identity columns. Nothing here names a table, so tables
//! added by later migrations are copied without touching this code.

use crate::{Backend, Result, Store, StoreError};

/// How a column's values travel between engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Int,
    Float,
    Bool,
    Text,
    Bytes,
}

impl Kind {
    /// The kind of a declared type (`bigint`, `double precision`, `boolean`, `text`…).
    fn of(declared: &str) -> Kind {
        let t = declared.to_ascii_lowercase();
        if t.contains("int") {
            Kind::Int
        } else if t.contains("bool") {
            Kind::Bool
        } else if t.contains("double") || t.contains("real") || t.contains("float") || t.contains("numeric") {
            Kind::Float
        } else if t.contains("blob") || t.contains("bytea") {
            Kind::Bytes
        } else {
            Kind::Text
        }
    }
}

/// One column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Column {
    pub name: String,
    pub kind: Kind,
}

/// A single-column foreign key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ForeignKey {
    pub column: String,
    pub table: String,
    /// The referenced column; `None` on SQLite means the referenced table's primary key.
    pub references: Option<String>,
}

/// One table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub primary_key: Vec<String>,
    pub foreign_keys: Vec<ForeignKey>,
    /// PostgreSQL identity columns (their sequences move past the copied values).
    pub identity: Vec<String>,
}

/// Double-quoted identifier (both engines).
pub(crate) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Store {
    /// Every table of the schema, by name.
    pub(crate) async fn schema_tables(&self) -> Result<Vec<Table>> {
        let mut out = Vec::new();
        match &self.backend {
            Backend::Sqlite { read, .. } => {
                let mut c = read.acquire().await?;
                let names: Vec<String> = sqlx::query_scalar(
                    "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name",
                )
                .fetch_all(&mut *c)
                .await?;
                for name in names {
                    let cols: Vec<(String, String, i64)> =
                        sqlx::query_as("select name, type, pk from pragma_table_info($1) order by cid")
                            .bind(&name)
                            .fetch_all(&mut *c)
                            .await?;
                    let mut pk: Vec<(i64, String)> =
                        cols.iter().filter(|(_, _, pk)| *pk > 0).map(|(n, _, pk)| (*pk, n.clone())).collect();
                    pk.sort();
                    let fks: Vec<(String, String, Option<String>)> =
                        sqlx::query_as("select \"from\", \"table\", \"to\" from pragma_foreign_key_list($1)")
                            .bind(&name)
                            .fetch_all(&mut *c)
                            .await?;
                    out.push(Table {
                        name,
                        columns: cols.iter().map(|(n, t, _)| Column { name: n.clone(), kind: Kind::of(t) }).collect(),
                        primary_key: pk.into_iter().map(|(_, n)| n).collect(),
                        foreign_keys: fks
                            .into_iter()
                            .map(|(column, table, references)| ForeignKey { column, table, references })
                            .collect(),
                        identity: Vec::new(),
                    });
                }
            }
            Backend::Postgres(pool) => {
                let mut c = pool.acquire().await?;
                let names: Vec<String> = sqlx::query_scalar(
                    "select table_name::text from information_schema.tables
                     where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1",
                )
                .fetch_all(&mut *c)
                .await?;
                for name in names {
                    let cols: Vec<(String, String, String)> = sqlx::query_as(
                        "select column_name::text, data_type::text, is_identity::text from information_schema.columns
                         where table_schema = current_schema() and table_name = $1 order by ordinal_position",
                    )
                    .bind(&name)
                    .fetch_all(&mut *c)
                    .await?;
                    let pk: Vec<String> = sqlx::query_scalar(
                        "select a.attname::text from pg_index i
                         join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
                         where i.indrelid = (quote_ident(current_schema()) || '.' || quote_ident($1))::regclass
                           and i.indisprimary
                         order by array_position(i.indkey::int2[], a.attnum)",
                    )
                    .bind(&name)
                    .fetch_all(&mut *c)
                    .await?;
                    let fks: Vec<(String, String, String)> = sqlx::query_as(
                        "select kcu.column_name::text, ccu.table_name::text, ccu.column_name::text
                         from information_schema.table_constraints tc
                         join information_schema.key_column_usage kcu
                           on kcu.constraint_name = tc.constraint_name and kcu.table_schema = tc.table_schema
                         join information_schema.constraint_column_usage ccu
                           on ccu.constraint_name = tc.constraint_name and ccu.table_schema = tc.table_schema
                         where tc.constraint_type = 'FOREIGN KEY' and tc.table_schema = current_schema()
                           and tc.table_name = $1",
                    )
                    .bind(&name)
                    .fetch_all(&mut *c)
                    .await?;
                    out.push(Table {
                        name,
                        identity: cols.iter().filter(|(_, _, i)| i == "YES").map(|(n, _, _)| n.clone()).collect(),
                        columns: cols.into_iter().map(|(n, t, _)| Column { kind: Kind::of(&t), name: n }).collect(),
                        primary_key: pk,
                        foreign_keys: fks
                            .into_iter()
                            .map(|(column, table, references)| ForeignKey {
                                column,
                                table,
                                references: Some(references),
                            })
                            .collect(),
                    });
                }
            }
        }
        Ok(out)
    }

    /// Rows per table (for the emptiness check and the copy's verification).
    pub(crate) async fn table_count(&self, table: &str) -> Result<i64> {
        let sql = format!("select count(*) from {}", quote(table));
        let mut c = self.read().await?;
        Ok(crate::run!(c.conn(), conn => { sqlx::query_scalar::<_, i64>(&sql).fetch_one(&mut *conn).await? }))
    }
}

/// Orders tables so that every table comes after those its foreign keys reference (a key to
/// the table itself does not count). A cycle between tables is refused, naming them.
pub(crate) fn dependency_order(tables: &[Table]) -> Result<Vec<&Table>> {
    let mut done: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    let mut left: Vec<&Table> = tables.iter().collect();
    while !left.is_empty() {
        let (ready, rest): (Vec<&Table>, Vec<&Table>) = left
            .into_iter()
            .partition(|t| t.foreign_keys.iter().all(|fk| fk.table == t.name || done.contains(&fk.table.as_str())));
        if ready.is_empty() {
            let names: Vec<&str> = rest.iter().map(|t| t.name.as_str()).collect();
            return Err(StoreError::Config(format!(
                "cannot order tables for copying: cycle among {}",
                names.join(", ")
            )));
        }
        for t in ready {
            done.push(&t.name);
            out.push(t);
        }
        left = rest;
    }
    Ok(out)
}
