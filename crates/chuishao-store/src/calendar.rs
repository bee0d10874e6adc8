//! Calendar years imported by an admin, stored so every node computes deadlines on the same
//! calendar. The text is the TOML file as imported; the calendar crate parses and validates it.

use crate::{Result, Store, Tx, run};

impl Tx {
    /// Stores (or replaces) the schedule for `year`.
    pub async fn put_calendar_year(&mut self, year: i32, source: &str, now_ms: i64) -> Result<()> {
        run!(self.conn(), conn => {
            sqlx::query(
                "insert into calendar_years (year, source, imported_at) values ($1, $2, $3)
                 on conflict (year) do update set source = excluded.source, imported_at = excluded.imported_at",
            )
            .bind(i64::from(year))
            .bind(source)
            .bind(now_ms)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }
}

impl Store {
    /// Every imported year as `(year, source)`, ascending.
    pub async fn calendar_years(&self) -> Result<Vec<(i64, String)>> {
        let mut c = self.read().await?;
        let rows = run!(c.conn(), conn => {
            sqlx::query_as::<_, (i64, String)>("select year, source from calendar_years order by year")
                .fetch_all(&mut *conn)
                .await?
        });
        Ok(rows)
    }
}
