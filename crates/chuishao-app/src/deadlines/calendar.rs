//! The working-day calendar in use: the years built into the binary, overridden and extended by
//! years an admin imported into the database (so every node computes the same deadlines), with
//! the deployment's working hours.

use crate::{App, Result};
use chuishao_calendar::{Calendar, CalendarYear, WorkingHours};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// The shared, swappable calendar.
#[derive(Clone)]
pub struct CalendarHandle {
    inner: Arc<RwLock<Arc<Calendar>>>,
}

impl Default for CalendarHandle {
    fn default() -> Self {
        CalendarHandle { inner: Arc::new(RwLock::new(Arc::new(Calendar::builtin()))) }
    }
}

impl CalendarHandle {
    fn get(&self) -> Arc<Calendar> {
        match self.inner.read() {
            Ok(c) => c.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set(&self, calendar: Calendar) {
        let mut guard = match self.inner.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = Arc::new(calendar);
    }
}

/// Built-in years with `imported` laid over them (an imported year replaces a built-in one).
fn combine(imported: Vec<CalendarYear>, hours: WorkingHours) -> Result<Calendar> {
    let mut years: BTreeMap<i32, CalendarYear> =
        chuishao_calendar::builtin_years().into_iter().map(|y| (y.year, y)).collect();
    for y in imported {
        years.insert(y.year, y);
    }
    Ok(Calendar::new(years.into_values().collect(), hours)?)
}

impl App {
    /// The calendar deadlines are computed on.
    pub fn calendar(&self) -> Arc<Calendar> {
        self.calendar.get()
    }

    /// Sets the deployment's working hours (default 09:00–12:00, 13:30–17:30).
    pub fn set_working_hours(&self, hours: WorkingHours) {
        self.calendar.set(self.calendar().with_hours(hours));
    }

    /// Reloads the calendar from the built-in years and those imported into the database.
    pub async fn load_calendar(&self) -> Result<()> {
        let mut imported = Vec::new();
        for (_, source) in self.store.calendar_years().await? {
            imported.push(CalendarYear::parse(&source)?);
        }
        let calendar = combine(imported, self.calendar().hours().clone())?;
        self.calendar.set(calendar);
        Ok(())
    }

    /// Validates a year's TOML file, checks that the calendar stays consecutive with it, stores
    /// it for every node and starts using it. Returns the year.
    pub async fn import_calendar_year(&self, text: &str) -> Result<i32> {
        let year = CalendarYear::parse(text)?;
        let mut imported = Vec::new();
        for (_, source) in self.store.calendar_years().await? {
            imported.push(CalendarYear::parse(&source)?);
        }
        imported.retain(|y| y.year != year.year);
        imported.push(year.clone());
        let calendar = combine(imported, self.calendar().hours().clone())?;
        let mut tx = self.store.begin().await?;
        tx.put_calendar_year(year.year, &year.export(), self.now_ms()).await?;
        tx.commit().await?;
        self.calendar.set(calendar);
        Ok(year.year)
    }
}
