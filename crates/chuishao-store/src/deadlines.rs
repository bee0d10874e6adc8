//! SLA clocks in storage: one row per case and kind, indexed by the next instant the timer
//! worker must act on (`next_fire_at`), so a tick reads only what fell due.

use crate::{Result, Store, StoreError, Tx, run};
use chuishao_domain::category::UrgencyTier;
use chuishao_domain::deadlines::{Basis, ClockState, Deadline, DeadlineKind};

#[derive(Debug, sqlx::FromRow)]
struct DeadlineRow {
    case_id: i64,
    kind: String,
    tier: String,
    basis: String,
    allowed_ms: i64,
    started_at: i64,
    due_at: i64,
    warn_at: i64,
    state: String,
    paused_at: Option<i64>,
    extension_days: i64,
    credit_wall_ms: i64,
    credit_working_ms: i64,
    warned_at: Option<i64>,
    overdue_at: Option<i64>,
    met_at: Option<i64>,
    supervisions: i64,
}

const COLUMNS: &str = "case_id, kind, tier, basis, allowed_ms, started_at, due_at, warn_at, state, paused_at, \
    extension_days, credit_wall_ms, credit_working_ms, warned_at, overdue_at, met_at, supervisions";

impl DeadlineRow {
    fn into_domain(self) -> Result<(i64, Deadline)> {
        let bad = |what: &str, v: &str| StoreError::Corrupt(format!("deadline of case {} {what} {v:?}", self.case_id));
        let d = Deadline {
            kind: DeadlineKind::parse(&self.kind).ok_or_else(|| bad("kind", &self.kind))?,
            tier: UrgencyTier::parse(&self.tier).ok_or_else(|| bad("tier", &self.tier))?,
            basis: Basis::parse(&self.basis).ok_or_else(|| bad("basis", &self.basis))?,
            state: ClockState::parse(&self.state).ok_or_else(|| bad("state", &self.state))?,
            allowed_ms: self.allowed_ms,
            started_at: self.started_at,
            due_at: self.due_at,
            warn_at: self.warn_at,
            paused_at: self.paused_at,
            extension_days: u32::try_from(self.extension_days).unwrap_or(0),
            credit_wall_ms: self.credit_wall_ms,
            credit_working_ms: self.credit_working_ms,
            warned_at: self.warned_at,
            overdue_at: self.overdue_at,
            met_at: self.met_at,
            supervisions: u32::try_from(self.supervisions).unwrap_or(0),
        };
        Ok((self.case_id, d))
    }
}

/// The clock rows of `case_ids` on connection `conn` (either engine), by case and kind.
macro_rules! of_cases {
    ($conn:expr, $case_ids:expr) => {{
        let mut qb = sqlx::QueryBuilder::new(format!("select {COLUMNS} from case_deadlines where case_id in ("));
        let mut sep = qb.separated(", ");
        for id in $case_ids {
            sep.push_bind(*id);
        }
        qb.push(") order by case_id, kind");
        qb.build_query_as().fetch_all(&mut *$conn).await?
    }};
}

fn rows_into(rows: Vec<DeadlineRow>) -> Result<Vec<(i64, Deadline)>> {
    rows.into_iter().map(DeadlineRow::into_domain).collect()
}

/// A clock to write, with the instant the worker must next look at it.
#[derive(Debug, Clone)]
pub struct DeadlineWrite<'a> {
    pub case_id: i64,
    pub deadline: &'a Deadline,
    pub next_fire_at: Option<i64>,
}

impl Tx {
    /// A case's clocks, read inside the write transaction.
    pub async fn case_deadlines_for_update(&mut self, case_id: i64) -> Result<Vec<Deadline>> {
        let sql = format!("select {COLUMNS} from case_deadlines where case_id = $1 order by kind");
        let rows: Vec<DeadlineRow> = run!(self.conn(), conn => {
            sqlx::query_as(&sql).bind(case_id).fetch_all(&mut *conn).await?
        });
        Ok(rows_into(rows)?.into_iter().map(|(_, d)| d).collect())
    }

    /// Replaces a case's clocks with `clocks`.
    pub async fn replace_case_deadlines(&mut self, case_id: i64, clocks: &[DeadlineWrite<'_>]) -> Result<()> {
        run!(self.conn(), conn => {
            sqlx::query("delete from case_deadlines where case_id = $1").bind(case_id).execute(&mut *conn).await?;
        });
        self.insert_deadlines(clocks).await
    }

    /// Inserts clocks (none may exist yet for its case and kind), many rows per statement.
    pub async fn insert_deadlines(&mut self, clocks: &[DeadlineWrite<'_>]) -> Result<()> {
        for chunk in clocks.chunks(500) {
            run!(self.conn(), conn => {
                let mut qb = sqlx::QueryBuilder::new(
                    "insert into case_deadlines (case_id, kind, tier, basis, allowed_ms, started_at, due_at, warn_at, state,
                        paused_at, extension_days, credit_wall_ms, credit_working_ms, warned_at, overdue_at, met_at,
                        supervisions, next_fire_at) ",
                );
                qb.push_values(chunk, |mut b, w| {
                    let d = w.deadline;
                    b.push_bind(w.case_id)
                        .push_bind(d.kind.as_str())
                        .push_bind(d.tier.as_str())
                        .push_bind(d.basis.as_str())
                        .push_bind(d.allowed_ms)
                        .push_bind(d.started_at)
                        .push_bind(d.due_at)
                        .push_bind(d.warn_at)
                        .push_bind(d.state.as_str())
                        .push_bind(d.paused_at)
                        .push_bind(i64::from(d.extension_days))
                        .push_bind(d.credit_wall_ms)
                        .push_bind(d.credit_working_ms)
                        .push_bind(d.warned_at)
                        .push_bind(d.overdue_at)
                        .push_bind(d.met_at)
                        .push_bind(i64::from(d.supervisions))
                        .push_bind(w.next_fire_at);
                });
                qb.build().execute(&mut *conn).await?;
            });
        }
        Ok(())
    }

    /// Claims up to `limit` clocks due at `now`, earliest first. On PostgreSQL the rows are
    /// locked `for update skip locked`, so concurrent workers on several nodes take disjoint
    /// sets and each timer fires once; on SQLite the write transaction is exclusive anyway.
    pub async fn claim_due_deadlines(&mut self, now: i64, limit: i64) -> Result<Vec<(i64, Deadline)>> {
        let base = format!(
            "select {COLUMNS} from case_deadlines where next_fire_at is not null and next_fire_at <= $1
             order by next_fire_at limit $2"
        );
        let sql = match self.conn() {
            crate::Conn::Sqlite(_) => base,
            crate::Conn::Postgres(_) => format!("{base} for update skip locked"),
        };
        let rows: Vec<DeadlineRow> = run!(self.conn(), conn => {
            sqlx::query_as(&sql).bind(now).bind(limit).fetch_all(&mut *conn).await?
        });
        rows_into(rows)
    }
}

impl Tx {
    /// The clocks of several cases, as `(case_id, clock)`, read inside the write transaction
    /// (the caller holds the case rows, so no one else changes their clocks meanwhile).
    pub async fn deadlines_of_cases(&mut self, case_ids: &[i64]) -> Result<Vec<(i64, Deadline)>> {
        if case_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<DeadlineRow> = run!(self.conn(), conn => of_cases!(conn, case_ids));
        rows_into(rows)
    }

    /// Records automatic supervisions on case rows, `(case_id, supervision_count)`, without
    /// touching their versions or any indexed column (the timer worker's only change to a case).
    pub async fn set_case_supervision_counts(&mut self, counts: &[(i64, u32)], now: i64) -> Result<()> {
        for chunk in counts.chunks(500) {
            run!(self.conn(), conn => {
                let mut qb = sqlx::QueryBuilder::new("update cases set updated_at = ");
                qb.push_bind(now).push(", supervision_count = v.column2 from (");
                qb.push_values(chunk, |mut b, (id, count)| {
                    b.push_bind(*id).push_bind(i64::from(*count));
                });
                qb.push(") as v where cases.id = v.column1");
                qb.build().execute(&mut *conn).await?;
            });
        }
        Ok(())
    }

    /// The case rows for the timer worker, locked; on PostgreSQL rows another transaction
    /// holds are skipped (`for update skip locked`): the worker never waits on a user's
    /// transition and comes back to those cases on its next tick.
    pub async fn cases_for_timer(&mut self, ids: &[i64]) -> Result<Vec<crate::CaseRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let columns = crate::cases::CASE_COLUMNS;
        let lock = match self.conn() {
            crate::Conn::Sqlite(_) => "",
            crate::Conn::Postgres(_) => " for update skip locked",
        };
        Ok(run!(self.conn(), conn => {
            let mut qb = sqlx::QueryBuilder::new(format!("select {columns} from cases where id in ("));
            let mut sep = qb.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            qb.push(")").push(lock);
            qb.build_query_as().fetch_all(&mut *conn).await?
        }))
    }

    /// Writes clocks back after the timer worker fired them (replacing the stored rows).
    pub async fn rewrite_deadlines(&mut self, clocks: &[DeadlineWrite<'_>]) -> Result<()> {
        for chunk in clocks.chunks(500) {
            run!(self.conn(), conn => {
                let mut qb = sqlx::QueryBuilder::new("delete from case_deadlines where (case_id, kind) in (values ");
                let mut sep = qb.separated(", ");
                for w in chunk {
                    sep.push("(").push_bind_unseparated(w.case_id).push_unseparated(", ");
                    sep.push_bind_unseparated(w.deadline.kind.as_str()).push_unseparated(")");
                }
                qb.push(")");
                qb.build().execute(&mut *conn).await?;
            });
        }
        self.insert_deadlines(clocks).await
    }
}

impl Store {
    /// A case's clocks.
    pub async fn case_deadlines(&self, case_id: i64) -> Result<Vec<Deadline>> {
        let sql = format!("select {COLUMNS} from case_deadlines where case_id = $1 order by kind");
        let mut c = self.read().await?;
        let rows: Vec<DeadlineRow> = run!(c.conn(), conn => {
            sqlx::query_as(&sql).bind(case_id).fetch_all(&mut *conn).await?
        });
        Ok(rows_into(rows)?.into_iter().map(|(_, d)| d).collect())
    }

    /// The clocks of several cases, as `(case_id, clock)`.
    pub async fn deadlines_of_cases(&self, case_ids: &[i64]) -> Result<Vec<(i64, Deadline)>> {
        if case_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut c = self.read().await?;
        let rows: Vec<DeadlineRow> = run!(c.conn(), conn => of_cases!(conn, case_ids));
        rows_into(rows)
    }

    /// Cases (ids above `after`, ascending, at most `limit`) with a clock that is not met, counts
    /// working time and is computed across the instants `[start, end)`: started before `end`
    /// and due (or next firing) at or after `start`. The candidates for re-timing a year.
    pub async fn retime_candidates(&self, start: i64, end: i64, after: i64, limit: i64) -> Result<Vec<i64>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_scalar::<_, i64>(
                "select distinct case_id from case_deadlines
                 where basis = 'working' and state <> 'met' and started_at < $2
                   and (due_at >= $1 or next_fire_at >= $1) and case_id > $3
                 order by case_id limit $4",
            )
            .bind(start)
            .bind(end)
            .bind(after)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?
        }))
    }

    /// The earliest instant any clock must be looked at (the worker sleeps until then).
    pub async fn next_deadline_fire_at(&self) -> Result<Option<i64>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_scalar::<_, Option<i64>>(
                "select min(next_fire_at) from case_deadlines where next_fire_at is not null",
            )
            .fetch_one(&mut *conn)
            .await?
        }))
    }
}
