//! Copying a whole database into another, engine to engine (SQLite → PostgreSQL for a
//! subdistrict that grew; any pair works). The copy is generic over the schema it finds:
//! tables are read from the database itself and copied in foreign-key order, so tables added
//! by later migrations are copied without changes here. The only tables named are the few
//! not copied ([`NOT_COPIED`], with the reason) and those the migrations seed with state rows
//! ([`SEEDED`], replaced by the source's). A test fails when a table is neither copied nor
//! named here.
//!
//! The source is read in one snapshot (a read transaction) and the target written in one
//! transaction, so a failed copy leaves the target as empty as it was. Events keep their
//! sequence numbers and hashes: the audit chain verifies on the target as on the source.

mod rows;
mod schema;

use crate::{Backend, Result, Store, StoreError, run};
use rows::Value;
use schema::{Kind, Table, quote};

/// Tables left behind, and why.
pub const NOT_COPIED: &[(&str, &str)] = &[
    ("schema_migrations", "the target is migrated by this binary to the same version"),
    ("staff_sessions", "sessions are dropped: staff sign in again on the new database"),
    ("login_throttle", "failed-login counters are transient"),
    ("login_throttle_pairs", "failed-login counters are transient"),
    ("volunteer_sessions", "sessions are dropped: volunteers sign in again on the new database"),
];

/// Tables the migrations fill with state rows (the audit chain's head, the geometry revision,
/// cache versions): on the target they are replaced by the source's rows.
pub const SEEDED: &[&str] = &["audit_head", "cache_versions", "geo_state"];

/// What was copied: rows per table, in copy order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyReport {
    pub tables: Vec<(String, i64)>,
}

impl CopyReport {
    pub fn total_rows(&self) -> i64 {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

/// How one table is copied.
#[derive(Debug, Clone)]
struct Plan {
    name: String,
    cols: Vec<(String, Kind)>,
    order_by: String,
    /// Columns referencing this table itself, and whether they reference its integer key.
    self_refs: Vec<(usize, bool)>,
    /// The position of the single integer primary key column, if the key is one.
    pk: Option<usize>,
    seeded: bool,
    identity: Vec<String>,
    batch: usize,
}

enum Msg {
    Table(usize),
    Rows(Vec<Vec<Value>>),
    Done(usize, i64),
}

fn plans(tables: &[Table]) -> Result<Vec<Plan>> {
    let copied: Vec<Table> = tables.iter().filter(|t| !NOT_COPIED.iter().any(|(n, _)| *n == t.name)).cloned().collect();
    let mut ordered: Vec<&Table> = schema::dependency_order(&copied)?;
    // State rows last: rows copied before them must not bump them again.
    ordered.sort_by_key(|t| SEEDED.contains(&t.name.as_str()));
    Ok(ordered
        .into_iter()
        .map(|t| {
            let cols: Vec<(String, Kind)> = t.columns.iter().map(|c| (c.name.clone(), c.kind)).collect();
            let pk = match t.primary_key.as_slice() {
                [one] => cols.iter().position(|(n, k)| n == one && *k == Kind::Int),
                _ => None,
            };
            let self_refs = t
                .foreign_keys
                .iter()
                .filter(|fk| fk.table == t.name)
                .filter_map(|fk| {
                    let i = cols.iter().position(|(n, _)| *n == fk.column)?;
                    let to_pk = pk.is_some()
                        && fk
                            .references
                            .as_deref()
                            .is_none_or(|r| t.primary_key.first().map(String::as_str) == Some(r));
                    Some((i, to_pk))
                })
                .collect();
            let key: Vec<String> = if t.primary_key.is_empty() {
                t.columns.iter().map(|c| quote(&c.name)).collect()
            } else {
                t.primary_key.iter().map(|c| quote(c)).collect()
            };
            Plan {
                name: t.name.clone(),
                order_by: key.join(", "),
                batch: (30_000 / cols.len().max(1)).clamp(1, 1000),
                cols,
                self_refs,
                pk,
                seeded: SEEDED.contains(&t.name.as_str()),
                identity: t.identity.clone(),
            }
        })
        .collect())
}

/// Reads every planned table in one snapshot and sends its rows in batches.
macro_rules! read_all {
    ($conn:expr, $plans:expr, $tx:expr, $read:path) => {{
        use futures_util::TryStreamExt as _;
        for (i, p) in $plans.iter().enumerate() {
            if $tx.send(Msg::Table(i)).await.is_err() {
                return Ok(());
            }
            let cols: Vec<String> = p.cols.iter().map(|(n, _)| quote(n)).collect();
            let sql = format!("select {} from {} order by {}", cols.join(", "), quote(&p.name), p.order_by);
            let mut stream = sqlx::query(&sql).fetch(&mut *$conn);
            let mut batch = Vec::with_capacity(p.batch);
            let mut n = 0i64;
            while let Some(row) = stream.try_next().await? {
                batch.push($read(&row, &p.name, &p.cols)?);
                n += 1;
                if batch.len() == p.batch {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(p.batch));
                    if $tx.send(Msg::Rows(full)).await.is_err() {
                        return Ok(());
                    }
                }
            }
            drop(stream);
            if !batch.is_empty() && $tx.send(Msg::Rows(batch)).await.is_err() {
                return Ok(());
            }
            if $tx.send(Msg::Done(i, n)).await.is_err() {
                return Ok(());
            }
        }
        Ok(())
    }};
}

async fn read_source(
    source: Store,
    plans: std::sync::Arc<Vec<Plan>>,
    tx: tokio::sync::mpsc::Sender<Msg>,
) -> Result<()> {
    match &source.backend {
        Backend::Sqlite { read, .. } => {
            let mut c = read.acquire().await?;
            sqlx::query("begin").execute(&mut *c).await?;
            let r: Result<()> = async { read_all!(c, plans, tx, rows::read_sqlite) }.await;
            let _ = sqlx::query("rollback").execute(&mut *c).await;
            r
        }
        Backend::Postgres(pool) => {
            let mut c = pool.begin().await?;
            sqlx::query("set transaction isolation level repeatable read, read only").execute(&mut *c).await?;
            read_all!(c, plans, tx, rows::read_postgres)
        }
    }
}

impl crate::Tx {
    /// Inserts one batch of rows into `p`'s table; self-references to rows not yet inserted
    /// are left null and returned as (key, column, value) for a later update.
    async fn insert_copied(&mut self, p: &Plan, mut batch: Vec<Vec<Value>>) -> Result<Vec<(i64, usize, Value)>> {
        let mut deferred = Vec::new();
        if !p.self_refs.is_empty() {
            let last_key = p.pk.and_then(|k| batch.last().and_then(|r| r[k].as_int()));
            for row in batch.iter_mut() {
                let key = p.pk.and_then(|k| row[k].as_int());
                for &(c, to_pk) in &p.self_refs {
                    let later = match (to_pk, row[c].as_int(), last_key) {
                        (true, Some(v), Some(last)) => v > last,
                        (_, None, _) => false,
                        _ => true,
                    };
                    if let (true, Some(key)) = (later, key) {
                        deferred.push((key, c, row[c].clone()));
                        row[c] = row[c].null_of();
                    }
                }
            }
        }
        let cols: Vec<String> = p.cols.iter().map(|(n, _)| quote(n)).collect();
        let head = format!("insert into {} ({}) ", quote(&p.name), cols.join(", "));
        run!(self.conn(), conn => {
            let mut qb = sqlx::QueryBuilder::new(head);
            qb.push_values(batch, |mut b, row| {
                for v in row {
                    rows::push_value(&mut b, v);
                }
            });
            qb.build().execute(&mut *conn).await?;
        });
        Ok(deferred)
    }

    /// Sets the self-references deferred while inserting.
    async fn update_deferred(&mut self, p: &Plan, deferred: Vec<(i64, usize, Value)>) -> Result<()> {
        let Some(k) = p.pk else { return Ok(()) };
        for (key, c, v) in deferred {
            let sql = format!(
                "update {} set {} = $1 where {} = $2",
                quote(&p.name),
                quote(&p.cols[c].0),
                quote(&p.cols[k].0)
            );
            run!(self.conn(), conn => {
                let q = sqlx::query(&sql);
                let q = match v {
                    Value::Int(x) => q.bind(x),
                    Value::Float(x) => q.bind(x),
                    Value::Bool(x) => q.bind(x),
                    Value::Text(x) => q.bind(x),
                    Value::Bytes(x) => q.bind(x),
                };
                q.bind(key).execute(&mut *conn).await?;
            });
        }
        Ok(())
    }

    async fn run_sql(&mut self, sql: &str) -> Result<()> {
        run!(self.conn(), conn => { sqlx::query(sql).execute(&mut *conn).await?; });
        Ok(())
    }
}

impl Store {
    /// The tables that hold rows although nothing but the migrations ran, by name: those the
    /// copy replaces rather than refuses (see [`SEEDED`]).
    pub async fn nonempty_tables(&self) -> Result<Vec<(String, i64)>> {
        let mut out = Vec::new();
        for t in self.schema_tables().await? {
            if t.name == "schema_migrations" {
                continue;
            }
            let n = self.table_count(&t.name).await?;
            if n > 0 {
                out.push((t.name, n));
            }
        }
        Ok(out)
    }

    /// Every table of the schema, by name.
    pub async fn table_names(&self) -> Result<Vec<String>> {
        Ok(self.schema_tables().await?.into_iter().map(|t| t.name).collect())
    }

    /// Refuses unless the database holds nothing but the migrations' state rows.
    pub async fn ensure_empty(&self) -> Result<()> {
        if let Some((t, n)) = self.nonempty_tables().await?.into_iter().find(|(t, _)| !SEEDED.contains(&t.as_str())) {
            return Err(StoreError::NotEmpty(format!("table {t} has {n} rows")));
        }
        Ok(())
    }

    /// Copies every table (but [`NOT_COPIED`]) into `target`, which must be migrated to the
    /// same schema version and hold no data. Returns the rows copied per table, each checked
    /// against the target afterwards. `progress` hears each table as it completes.
    pub async fn copy_into(&self, target: &Store, progress: &(dyn Fn(&str, i64) + Send + Sync)) -> Result<CopyReport> {
        let (from_v, to_v) = (self.schema_version().await?, target.schema_version().await?);
        if from_v != to_v {
            return Err(StoreError::Config(format!(
                "the source is at schema version {from_v} and the target at {to_v}; migrate both with this binary"
            )));
        }
        target.ensure_empty().await?;
        let source_tables = self.schema_tables().await?;
        let target_tables = target.schema_tables().await?;
        for t in &target_tables {
            let Some(s) = source_tables.iter().find(|s| s.name == t.name) else {
                return Err(StoreError::Config(format!("table {} is missing from the source", t.name)));
            };
            let names = |t: &Table| t.columns.iter().map(|c| c.name.clone()).collect::<std::collections::BTreeSet<_>>();
            if names(s) != names(t) {
                return Err(StoreError::Config(format!("table {} has different columns on the two databases", t.name)));
            }
        }
        if let Some(s) = source_tables.iter().find(|s| !target_tables.iter().any(|t| t.name == s.name)) {
            return Err(StoreError::Config(format!("table {} is missing from the target", s.name)));
        }
        let plans = std::sync::Arc::new(plans(&target_tables)?);
        let (sender, mut receiver) = tokio::sync::mpsc::channel::<Msg>(4);
        let reader = tokio::spawn(read_source(self.clone(), plans.clone(), sender));
        let mut tx = target.begin().await?;
        let mut report = CopyReport::default();
        let mut current: Option<usize> = None;
        let mut deferred = Vec::new();
        let mut written = 0i64;
        while let Some(msg) = receiver.recv().await {
            match msg {
                Msg::Table(i) => {
                    current = Some(i);
                    written = 0;
                    if plans[i].seeded {
                        tx.run_sql(&format!("delete from {}", quote(&plans[i].name))).await?;
                    }
                }
                Msg::Rows(batch) => {
                    let Some(i) = current else { continue };
                    written += batch.len() as i64;
                    deferred.extend(tx.insert_copied(&plans[i], batch).await?);
                }
                Msg::Done(i, read) => {
                    let p = &plans[i];
                    tx.update_deferred(p, std::mem::take(&mut deferred)).await?;
                    if read != written {
                        return Err(StoreError::Corrupt(format!("{}: read {read} rows, wrote {written}", p.name)));
                    }
                    if tx.engine() == crate::Engine::Postgres {
                        for col in &p.identity {
                            let sql = format!(
                                "select setval(pg_get_serial_sequence('{}', '{}'), coalesce(max({}), 0) + 1, false) from {}",
                                quote(&p.name).replace('\'', "''"),
                                col.replace('\'', "''"),
                                quote(col),
                                quote(&p.name)
                            );
                            tx.run_sql(&sql).await?;
                        }
                    }
                    progress(&p.name, read);
                    report.tables.push((p.name.clone(), read));
                }
            }
        }
        match reader.await {
            Ok(r) => r?,
            Err(e) => return Err(StoreError::Config(format!("the reader stopped: {e}"))),
        }
        if report.tables.len() != plans.len() {
            return Err(StoreError::Corrupt("the copy stopped before the last table".into()));
        }
        tx.commit().await?;
        for (t, n) in &report.tables {
            let on_target = target.table_count(t).await?;
            if on_target != *n {
                return Err(StoreError::Corrupt(format!("{t}: {n} rows copied but the target has {on_target}")));
            }
        }
        Ok(report)
    }
}
