//! Storage for the residents' channel: the public listing behind Open311 `GET requests`,
//! service attributes and media references attached at intake, and the public update feed
//! (`servicerequestupdates`) read from the event log.

use crate::cases::CASE_COLUMNS;
use crate::{CaseRow, Result, Store, Tx, run};

/// Filters of the public case listing. A non-empty `tracking_codes` overrides every other
/// filter (Open311: a `service_request_id` list wins).
#[derive(Debug, Clone, Default)]
pub struct PublicCaseFilter {
    pub tracking_codes: Vec<String>,
    pub category_codes: Vec<String>,
    pub statuses: Vec<String>,
    pub created_from: Option<i64>,
    pub created_to: Option<i64>,
    /// The public listing's rule: only cases of these sources, unless a dispatcher listed or
    /// unlisted the case (`case_public_text.listed`). `None`: every case.
    pub listed_sources: Option<Vec<String>>,
    pub offset: i64,
    pub limit: i64,
}

/// A public event with the tracking code of its case, newest last.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PublicEventRow {
    pub seq: i64,
    pub stream: String,
    pub kind: String,
    pub payload: String,
    pub created_at: i64,
    pub case_id: i64,
    pub tracking_code: String,
    pub status: String,
}

/// ` and COLUMN in (…)` for a non-empty list of values (nothing for an empty one).
macro_rules! push_in {
    ($qb:ident, $column:expr, $values:expr) => {{
        let values: &Vec<String> = $values;
        if !values.is_empty() {
            $qb.push(concat!(" and ", $column, " in ("));
            let mut sep = $qb.separated(", ");
            for v in values {
                sep.push_bind(v.clone());
            }
            $qb.push(")");
        }
    }};
}

impl Store {
    /// Cases for the public listing, newest first.
    pub async fn public_cases(&self, f: &PublicCaseFilter) -> Result<Vec<CaseRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            let mut qb = sqlx::QueryBuilder::new(format!("select {CASE_COLUMNS} from cases where 1 = 1"));
            if !f.tracking_codes.is_empty() {
                push_in!(qb, "tracking_code", &f.tracking_codes);
            } else {
                push_in!(qb, "category_code", &f.category_codes);
                push_in!(qb, "status", &f.statuses);
                if let Some(v) = f.created_from {
                    qb.push(" and created_at >= ").push_bind(v);
                }
                if let Some(v) = f.created_to {
                    qb.push(" and created_at <= ").push_bind(v);
                }
                if let Some(sources) = &f.listed_sources {
                    qb.push(" and coalesce((select p.listed from case_public_text p where p.case_id = cases.id), ");
                    if sources.is_empty() {
                        qb.push("1 = 0)");
                    } else {
                        qb.push("source in (");
                        let mut sep = qb.separated(", ");
                        for v in sources {
                            sep.push_bind(v.clone());
                        }
                        qb.push("))");
                    }
                }
            }
            qb.push(" order by created_at desc, id desc limit ").push_bind(f.limit).push(" offset ").push_bind(f.offset);
            qb.build_query_as().fetch_all(&mut *conn).await?
        }))
    }

    /// The attribute answers of a case, by code.
    pub async fn case_attributes(&self, case_id: i64) -> Result<Vec<(String, String)>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as("select code, value from case_attributes where case_id = $1 order by code")
                .bind(case_id)
                .fetch_all(&mut *conn)
                .await?
        }))
    }

    /// Open cases of a category created since `since`, inside a latitude/longitude box.
    pub async fn open_cases_in_box(
        &self,
        category_code: &str,
        (lat_min, lat_max, lon_min, lon_max): (f64, f64, f64, f64),
        since: i64,
        open_statuses: &[&str],
    ) -> Result<Vec<CaseRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            let mut qb = sqlx::QueryBuilder::new(format!("select {CASE_COLUMNS} from cases where category_code = "));
            qb.push_bind(category_code.to_string());
            qb.push(" and created_at >= ").push_bind(since);
            qb.push(" and lat between ").push_bind(lat_min).push(" and ").push_bind(lat_max);
            qb.push(" and lon between ").push_bind(lon_min).push(" and ").push_bind(lon_max);
            let statuses: Vec<String> = open_statuses.iter().map(|s| s.to_string()).collect();
            push_in!(qb, "status", &statuses);
            qb.push(" order by created_at desc limit 20");
            qb.build_query_as().fetch_all(&mut *conn).await?
        }))
    }

    /// How many events of `stream` a case has (e.g. "me too" confirmations).
    pub async fn stream_event_count(&self, stream: &str, case_id: i64) -> Result<i64> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_scalar("select count(*) from events where stream = $1 and stream_id = $2")
                .bind(stream)
                .bind(case_id)
                .fetch_one(&mut *conn)
                .await?
        }))
    }

    /// The file keys of a case's photos, oldest first.
    pub async fn case_photo_keys(&self, case_id: i64) -> Result<Vec<String>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_scalar("select file_key from case_photos where case_id = $1 order by created_at, file_key")
                .bind(case_id)
                .fetch_all(&mut *conn)
                .await?
        }))
    }

    /// The media URLs of a case, in the order they were attached.
    pub async fn case_media_urls(&self, case_id: i64) -> Result<Vec<String>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_scalar("select url from case_media where case_id = $1 order by id")
                .bind(case_id)
                .fetch_all(&mut *conn)
                .await?
        }))
    }

    /// Events of the given streams about cases, created in `[from, to]`, oldest first.
    pub async fn public_events_between(
        &self,
        streams: &[&str],
        from: i64,
        to: i64,
        limit: i64,
    ) -> Result<Vec<PublicEventRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            let mut qb = sqlx::QueryBuilder::new(
                "select e.seq, e.stream, e.kind, e.payload, e.created_at, c.id as case_id, c.tracking_code, c.status \
                 from events e join cases c on c.id = e.stream_id where e.stream in (",
            );
            let mut sep = qb.separated(", ");
            for s in streams {
                sep.push_bind(s.to_string());
            }
            qb.push(") and e.created_at >= ").push_bind(from);
            qb.push(" and e.created_at <= ").push_bind(to);
            qb.push(" order by e.created_at, e.seq limit ").push_bind(limit);
            qb.build_query_as().fetch_all(&mut *conn).await?
        }))
    }
}

/// Wakes when events are committed on any node (PostgreSQL `LISTEN`).
pub struct EventListener(sqlx::postgres::PgListener);

impl EventListener {
    pub(crate) fn new(l: sqlx::postgres::PgListener) -> Self {
        EventListener(l)
    }

    /// Waits for the next notification.
    pub async fn wait(&mut self) -> Result<()> {
        self.0.recv().await?;
        Ok(())
    }
}

/// The channel the events trigger notifies.
const EVENTS_CHANNEL: &str = "chuishao_events";

impl Store {
    /// The highest event sequence number (0 when there are none).
    pub async fn max_event_seq(&self) -> Result<i64> {
        let mut c = self.read().await?;
        let v: Option<i64> = run!(c.conn(), conn => {
            sqlx::query_scalar("select max(seq) from events").fetch_one(&mut *conn).await?
        });
        Ok(v.unwrap_or(0))
    }

    /// Case events after `after_seq`, oldest first, with their case's tracking code and
    /// current status: what live tracking pushes to subscribers.
    pub async fn case_events_after(&self, after_seq: i64, limit: i64) -> Result<Vec<PublicEventRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as(
                "select e.seq, e.stream, e.kind, e.payload, e.created_at, c.id as case_id, c.tracking_code, c.status \
                 from events e join cases c on c.id = e.stream_id \
                 where e.seq > $1 and e.stream = 'case' order by e.seq limit $2",
            )
            .bind(after_seq)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?
        }))
    }

    /// A listener woken whenever events are committed, on PostgreSQL; `None` on SQLite,
    /// where one process is the only writer and callers poll.
    pub async fn event_listener(&self) -> Result<Option<EventListener>> {
        match &self.backend {
            crate::Backend::Postgres(pool) => {
                let mut l = sqlx::postgres::PgListener::connect_with(pool).await?;
                l.listen(EVENTS_CHANNEL).await?;
                Ok(Some(EventListener(l)))
            }
            crate::Backend::Sqlite { .. } => Ok(None),
        }
    }
}

impl Tx {
    /// Records a stored photo of a case.
    pub async fn insert_case_photo(
        &mut self,
        case_id: i64,
        file_key: &str,
        (width, height, bytes): (i64, i64, i64),
        now: i64,
    ) -> Result<()> {
        run!(self.conn(), conn => {
            sqlx::query("insert into case_photos (file_key, case_id, width, height, bytes, created_at) values ($1, $2, $3, $4, $5, $6)")
                .bind(file_key)
                .bind(case_id)
                .bind(width)
                .bind(height)
                .bind(bytes)
                .bind(now)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    /// Attaches attribute answers and media references to a case.
    pub async fn insert_case_extras(
        &mut self,
        case_id: i64,
        attributes: &[(String, String)],
        media_urls: &[String],
        now: i64,
    ) -> Result<()> {
        for (code, value) in attributes {
            run!(self.conn(), conn => {
                sqlx::query("insert into case_attributes (case_id, code, value) values ($1, $2, $3)")
                    .bind(case_id)
                    .bind(code)
                    .bind(value)
                    .execute(&mut *conn)
                    .await?;
            });
        }
        for url in media_urls {
            run!(self.conn(), conn => {
                sqlx::query("insert into case_media (case_id, url, created_at) values ($1, $2, $3)")
                    .bind(case_id)
                    .bind(url)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
            });
        }
        Ok(())
    }
}

/// A dispatcher's choice of a case's public text (see `chuishao_app::residents::public_text`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PublicTextRow {
    pub case_id: i64,
    pub mode: String,
    pub text: Option<String>,
    pub listed: Option<bool>,
    pub updated_by: Option<i64>,
    pub updated_at: i64,
}

impl Store {
    /// The public text setting of a case, if a dispatcher made one.
    pub async fn public_text(&self, case_id: i64) -> Result<Option<PublicTextRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as(
                "select case_id, mode, text, listed, updated_by, updated_at from case_public_text where case_id = $1",
            )
            .bind(case_id)
            .fetch_optional(&mut *conn)
            .await?
        }))
    }
}

impl Tx {
    /// Writes (or replaces) a case's public text setting.
    pub async fn put_public_text(&mut self, r: &PublicTextRow) -> Result<()> {
        run!(self.conn(), conn => {
            sqlx::query(
                "insert into case_public_text (case_id, mode, text, listed, updated_by, updated_at) \
                 values ($1, $2, $3, $4, $5, $6) on conflict (case_id) do update set mode = excluded.mode, \
                 text = excluded.text, listed = excluded.listed, updated_by = excluded.updated_by, \
                 updated_at = excluded.updated_at",
            )
            .bind(r.case_id)
            .bind(&r.mode)
            .bind(&r.text)
            .bind(r.listed)
            .bind(r.updated_by)
            .bind(r.updated_at)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }
}
