//! The category catalogue in storage. Importing a catalogue replaces names, tiers and
//! handlers of existing codes, adds new ones, and deactivates codes no longer listed (cases
//! keep pointing at them).

use crate::{Result, Store, StoreError, Tx, run};
use chuishao_domain::category::{Category, CategoryClass, OwnershipRule, UrgencyTier};

#[derive(Debug, sqlx::FromRow)]
struct CategoryRow {
    code: String,
    class: String,
    major_code: String,
    minor_code: String,
    major_name_zh: String,
    major_name_en: String,
    name_zh: String,
    name_en: String,
    description_zh: String,
    description_en: String,
    department_code: Option<String>,
    tier: String,
    ownership: String,
    active: bool,
}

impl TryFrom<CategoryRow> for Category {
    type Error = StoreError;
    fn try_from(r: CategoryRow) -> Result<Self> {
        let bad = |what: &str, v: &str| StoreError::Corrupt(format!("category {} {what} {v:?}", r.code));
        Ok(Category {
            class: CategoryClass::parse(&r.class).ok_or_else(|| bad("class", &r.class))?,
            tier: UrgencyTier::parse(&r.tier).ok_or_else(|| bad("tier", &r.tier))?,
            ownership: OwnershipRule::parse(&r.ownership).ok_or_else(|| bad("ownership", &r.ownership))?,
            code: r.code,
            major_code: r.major_code,
            minor_code: r.minor_code,
            major_name_zh: r.major_name_zh,
            major_name_en: r.major_name_en,
            name_zh: r.name_zh,
            name_en: r.name_en,
            description_zh: r.description_zh,
            description_en: r.description_en,
            department_code: r.department_code,
        })
    }
}

const COLUMNS: &str = "code, class, major_code, minor_code, major_name_zh, major_name_en, name_zh, name_en, \
                       description_zh, description_en, department_code, tier, ownership, active";

impl Tx {
    /// Replaces the active catalogue with `categories` (see module docs). Returns how many
    /// codes were deactivated.
    pub async fn replace_categories(&mut self, categories: &[Category]) -> Result<u64> {
        run!(self.conn(), conn => {
            sqlx::query("update categories set active = false").execute(&mut *conn).await?;
            for (i, c) in categories.iter().enumerate() {
                sqlx::query(
                    "insert into categories (code, class, major_code, minor_code, major_name_zh, major_name_en, name_zh, name_en,
                        description_zh, description_en, department_code, tier, ownership, active, sort_order)
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, true, $14)
                     on conflict (code) do update set class = excluded.class, major_code = excluded.major_code,
                        minor_code = excluded.minor_code, major_name_zh = excluded.major_name_zh,
                        major_name_en = excluded.major_name_en, name_zh = excluded.name_zh, name_en = excluded.name_en,
                        description_zh = excluded.description_zh, description_en = excluded.description_en,
                        department_code = excluded.department_code, tier = excluded.tier,
                        ownership = excluded.ownership, active = true, sort_order = excluded.sort_order",
                )
                .bind(&c.code)
                .bind(c.class.as_str())
                .bind(&c.major_code)
                .bind(&c.minor_code)
                .bind(&c.major_name_zh)
                .bind(&c.major_name_en)
                .bind(&c.name_zh)
                .bind(&c.name_en)
                .bind(&c.description_zh)
                .bind(&c.description_en)
                .bind(&c.department_code)
                .bind(c.tier.as_str())
                .bind(c.ownership.as_str())
                .bind(i as i64)
                .execute(&mut *conn)
                .await?;
            }
            let n: i64 = sqlx::query_scalar("select count(*) from categories where active = false")
                .fetch_one(&mut *conn)
                .await?;
            Ok(n as u64)
        })
    }
}

impl Store {
    /// Active categories in catalogue order.
    pub async fn list_categories(&self) -> Result<Vec<Category>> {
        let mut c = self.read().await?;
        let rows: Vec<CategoryRow> = run!(c.conn(), conn => {
            sqlx::query_as(&format!("select {COLUMNS} from categories where active = true order by sort_order"))
                .fetch_all(&mut *conn)
                .await?
        });
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// Every category with whether it is active, retired ones included.
    pub async fn list_all_categories(&self) -> Result<Vec<(Category, bool)>> {
        let mut c = self.read().await?;
        let rows: Vec<CategoryRow> = run!(c.conn(), conn => {
            sqlx::query_as(&format!("select {COLUMNS} from categories order by sort_order"))
                .fetch_all(&mut *conn)
                .await?
        });
        rows.into_iter()
            .map(|r| {
                let active = r.active;
                Ok((r.try_into()?, active))
            })
            .collect()
    }

    /// One category by code, active or not (old cases keep their category).
    pub async fn category(&self, code: &str) -> Result<Option<(Category, bool)>> {
        let mut c = self.read().await?;
        let row: Option<CategoryRow> = run!(c.conn(), conn => {
            sqlx::query_as(&format!("select {COLUMNS} from categories where code = $1"))
                .bind(code)
                .fetch_optional(&mut *conn)
                .await?
        });
        row.map(|r| {
            let active = r.active;
            Ok((r.try_into()?, active))
        })
        .transpose()
    }
}
