//! Notification subscriptions and the outbox. Outbox rows are written in the transaction that
//! appends the events they announce; the delivery worker leases due rows (`for update skip
//! locked` on PostgreSQL), sends outside any transaction, and records the outcome.

use crate::{Result, Store, StoreError, Tx, run};
use chuishao_domain::notifications::{Channel, Format, MAX_ATTEMPTS, Subscription};

#[derive(Debug, sqlx::FromRow)]
struct SubscriptionRow {
    id: i64,
    name: String,
    channel: String,
    url: String,
    secret: Option<String>,
    event_kinds: String,
    org_path: String,
    format: String,
    active: bool,
}

impl TryFrom<SubscriptionRow> for Subscription {
    type Error = StoreError;
    fn try_from(r: SubscriptionRow) -> Result<Self> {
        let bad = |what: &str, v: &str| StoreError::Corrupt(format!("subscription {} {what} {v:?}", r.id));
        Ok(Subscription {
            channel: Channel::parse(&r.channel).ok_or_else(|| bad("channel", &r.channel))?,
            format: Format::parse(&r.format).ok_or_else(|| bad("format", &r.format))?,
            event_kinds: if r.event_kinds == "*" {
                Vec::new()
            } else {
                r.event_kinds.split(',').map(str::to_string).collect()
            },
            id: r.id,
            name: r.name,
            url: r.url,
            secret: r.secret,
            org_path: r.org_path,
            active: r.active,
        })
    }
}

/// An outbox row to write.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub subscription_id: i64,
    pub event_seq: i64,
    /// The record the event belongs to: its stream kind (`case`, `whistle`, …) and id.
    pub stream: &'static str,
    pub stream_id: i64,
    pub event_kind: String,
    pub body: String,
}

/// A delivery as stored, with where it goes.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: i64,
    pub subscription_id: i64,
    pub event_seq: i64,
    /// The case's id for a case's event, else 0 (see `stream`, `stream_id`).
    pub case_id: i64,
    pub stream: String,
    pub stream_id: i64,
    pub event_kind: String,
    pub body: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
    pub channel: String,
    pub url: String,
    pub secret: Option<String>,
}

const DELIVERY_COLUMNS: &str = "o.id, o.subscription_id, o.event_seq, o.case_id, o.stream, o.stream_id, o.event_kind, o.body, o.state, \
    o.attempts, o.next_attempt_at, o.last_status, o.last_error, o.created_at, o.delivered_at, s.channel, s.url, s.secret";

impl Tx {
    /// Adds a subscription; returns its id.
    pub async fn insert_subscription(&mut self, s: &Subscription, now: i64) -> Result<i64> {
        let kinds = if s.event_kinds.is_empty() { "*".to_string() } else { s.event_kinds.join(",") };
        Ok(run!(self.conn(), conn => {
            sqlx::query_scalar(
                "insert into notification_subscriptions (name, channel, url, secret, event_kinds, org_path, format, active, created_at)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id",
            )
            .bind(&s.name)
            .bind(s.channel.as_str())
            .bind(&s.url)
            .bind(&s.secret)
            .bind(kinds)
            .bind(&s.org_path)
            .bind(s.format.as_str())
            .bind(s.active)
            .bind(now)
            .fetch_one(&mut *conn)
            .await?
        }))
    }

    /// Active subscriptions, read inside the transaction that appends events.
    pub async fn active_subscriptions(&mut self) -> Result<Vec<Subscription>> {
        let rows: Vec<SubscriptionRow> = run!(self.conn(), conn => {
            sqlx::query_as(
                "select id, name, channel, url, secret, event_kinds, org_path, format, active
                 from notification_subscriptions where active order by id",
            )
            .fetch_all(&mut *conn)
            .await?
        });
        rows.into_iter().map(Subscription::try_from).collect()
    }

    /// Writes outbox rows, due at `now`.
    pub async fn enqueue_deliveries(&mut self, rows: &[NewDelivery], now: i64) -> Result<()> {
        for chunk in rows.chunks(500) {
            run!(self.conn(), conn => {
                let mut qb = sqlx::QueryBuilder::new(
                    "insert into notification_outbox (subscription_id, event_seq, case_id, stream, stream_id, event_kind,
                        body, state, attempts, next_attempt_at, created_at) ",
                );
                qb.push_values(chunk, |mut b, r| {
                    b.push_bind(r.subscription_id)
                        .push_bind(r.event_seq)
                        .push_bind(if r.stream == "case" { r.stream_id } else { 0 })
                        .push_bind(r.stream)
                        .push_bind(r.stream_id)
                        .push_bind(r.event_kind.as_str())
                        .push_bind(r.body.as_str())
                        .push_bind("pending")
                        .push_bind(0i64)
                        .push_bind(now)
                        .push_bind(now);
                });
                qb.build().execute(&mut *conn).await?;
            });
        }
        Ok(())
    }
}

impl Store {
    /// Every subscription.
    pub async fn subscriptions(&self) -> Result<Vec<Subscription>> {
        let mut c = self.read().await?;
        let rows: Vec<SubscriptionRow> = run!(c.conn(), conn => {
            sqlx::query_as(
                "select id, name, channel, url, secret, event_kinds, org_path, format, active
                 from notification_subscriptions order by id",
            )
            .fetch_all(&mut *conn)
            .await?
        });
        rows.into_iter().map(Subscription::try_from).collect()
    }

    /// Leases up to `limit` due deliveries for `lease_ms` (pushing their next attempt past the
    /// lease, so a crashed sender's deliveries come back) and returns them.
    pub async fn lease_deliveries(&self, now: i64, lease_ms: i64, limit: i64) -> Result<Vec<DeliveryRow>> {
        let mut tx = self.begin().await?;
        let lock = match tx.conn() {
            crate::Conn::Sqlite(_) => "",
            crate::Conn::Postgres(_) => " for update skip locked",
        };
        let pick = format!(
            "select id from notification_outbox where state = 'pending' and next_attempt_at <= $1
             order by next_attempt_at limit $2{lock}"
        );
        let ids: Vec<i64> = run!(tx.conn(), conn => {
            sqlx::query_scalar(&pick).bind(now).bind(limit).fetch_all(&mut *conn).await?
        });
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<DeliveryRow> = run!(tx.conn(), conn => {
            let mut qb = sqlx::QueryBuilder::new("update notification_outbox set next_attempt_at = ");
            qb.push_bind(now + lease_ms).push(" where id in (");
            let mut sep = qb.separated(", ");
            for id in &ids {
                sep.push_bind(*id);
            }
            qb.push(")");
            qb.build().execute(&mut *conn).await?;
            let mut qb = sqlx::QueryBuilder::new(format!(
                "select {DELIVERY_COLUMNS} from notification_outbox o join notification_subscriptions s on s.id = o.subscription_id where o.id in ("
            ));
            let mut sep = qb.separated(", ");
            for id in &ids {
                sep.push_bind(*id);
            }
            qb.push(") order by o.id");
            qb.build_query_as().fetch_all(&mut *conn).await?
        });
        tx.commit().await?;
        Ok(rows)
    }

    /// Records an attempt: delivered, or failed and retried at `retry_at` — or dead-lettered
    /// when this was the last attempt.
    pub async fn record_attempt(
        &self,
        id: i64,
        now: i64,
        status: Option<u16>,
        outcome: std::result::Result<(), String>,
        retry_at: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        run!(tx.conn(), conn => {
            match &outcome {
                Ok(()) => {
                    sqlx::query(
                        "update notification_outbox set state = 'delivered', attempts = attempts + 1, last_status = $1,
                            last_error = null, delivered_at = $2 where id = $3",
                    )
                    .bind(status.map(i64::from))
                    .bind(now)
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                }
                Err(e) => {
                    sqlx::query(
                        "update notification_outbox set attempts = attempts + 1, last_status = $1, last_error = $2,
                            next_attempt_at = $3,
                            state = case when attempts + 1 >= $4 then 'dead' else 'pending' end
                         where id = $5",
                    )
                    .bind(status.map(i64::from))
                    .bind(e)
                    .bind(retry_at)
                    .bind(i64::from(MAX_ATTEMPTS))
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                }
            }
        });
        tx.commit().await
    }

    /// Deliveries, newest first, optionally of one state.
    pub async fn list_deliveries(&self, state: Option<&str>, limit: i64) -> Result<Vec<DeliveryRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            let mut qb = sqlx::QueryBuilder::new(format!(
                "select {DELIVERY_COLUMNS} from notification_outbox o join notification_subscriptions s on s.id = o.subscription_id"
            ));
            if let Some(st) = state {
                qb.push(" where o.state = ").push_bind(st.to_string());
            }
            qb.push(" order by o.id desc limit ").push_bind(limit);
            qb.build_query_as().fetch_all(&mut *conn).await?
        }))
    }

    /// Puts a delivery back in the queue, due now, with a fresh set of attempts. False when
    /// there is no such delivery or it was delivered.
    pub async fn retry_delivery(&self, id: i64, now: i64) -> Result<bool> {
        let mut tx = self.begin().await?;
        let n = run!(tx.conn(), conn => {
            sqlx::query(
                "update notification_outbox set state = 'pending', attempts = 0, next_attempt_at = $1
                 where id = $2 and state <> 'delivered'",
            )
            .bind(now)
            .bind(id)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        tx.commit().await?;
        Ok(n == 1)
    }

    /// The earliest instant a pending delivery is due.
    pub async fn next_delivery_at(&self) -> Result<Option<i64>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_scalar::<_, Option<i64>>(
                "select min(next_attempt_at) from notification_outbox where state = 'pending'",
            )
            .fetch_one(&mut *conn)
            .await?
        }))
    }
}
