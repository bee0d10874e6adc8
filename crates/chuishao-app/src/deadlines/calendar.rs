//! Deadline settings, and the working-day calendar in use: the years built into the binary, overridden and extended by
//! years an admin imported into the database (so every node computes the same deadlines), with
//! the deployment's working hours.

use crate::{App, Result};
use chuishao_calendar::{Calendar, CalendarYear, WorkingHours};
use chuishao_domain::deadlines::DeadlinePolicy;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// What deadlines are computed with, shared by every clone of the `App`: the swappable
/// calendar, the policy, and the bell that wakes the timer worker when a clock changes.
#[derive(Clone)]
pub struct DeadlineSettings {
    calendar: Arc<RwLock<Arc<Calendar>>>,
    policy: Arc<RwLock<Arc<DeadlinePolicy>>>,
    supervise_to: Arc<RwLock<Arc<SupervisionTarget>>>,
    pub(crate) wake: Arc<tokio::sync::Notify>,
}

/// Where the timer worker escalates an overdue case (督办).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SupervisionTarget {
    /// The handling unit's superior organisation (a department's district, a community's
    /// subdistrict).
    #[default]
    Superior,
    /// The district (its dispatch centre), whatever the handler.
    District,
}

impl SupervisionTarget {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "superior" => Some(SupervisionTarget::Superior),
            "district" => Some(SupervisionTarget::District),
            _ => None,
        }
    }
}

impl Default for DeadlineSettings {
    fn default() -> Self {
        DeadlineSettings {
            calendar: Arc::new(RwLock::new(Arc::new(Calendar::builtin()))),
            policy: Arc::new(RwLock::new(Arc::new(DeadlinePolicy::default()))),
            supervise_to: Arc::new(RwLock::new(Arc::new(SupervisionTarget::default()))),
            wake: Arc::new(tokio::sync::Notify::new()),
        }
    }
}

fn read<T>(lock: &RwLock<Arc<T>>) -> Arc<T> {
    match lock.read() {
        Ok(c) => c.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    }
}

fn write<T>(lock: &RwLock<Arc<T>>, value: T) {
    let mut guard = match lock.write() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    *guard = Arc::new(value);
}

impl DeadlineSettings {
    fn get(&self) -> Arc<Calendar> {
        read(&self.calendar)
    }

    fn set(&self, calendar: Calendar) {
        write(&self.calendar, calendar);
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
        self.deadlines.get()
    }

    /// The deadline policy in use.
    pub fn deadline_policy(&self) -> Arc<DeadlinePolicy> {
        read(&self.deadlines.policy)
    }

    /// Replaces the deadline policy (configuration at start-up).
    pub fn set_deadline_policy(&self, policy: DeadlinePolicy) {
        write(&self.deadlines.policy, policy);
    }

    /// Where overdue cases are escalated.
    pub fn supervision_target(&self) -> SupervisionTarget {
        *read(&self.deadlines.supervise_to)
    }

    /// Sets where overdue cases are escalated (configuration at start-up).
    pub fn set_supervision_target(&self, target: SupervisionTarget) {
        write(&self.deadlines.supervise_to, target);
    }

    /// Sets the deployment's working hours (default 09:00–12:00, 13:30–17:30).
    pub fn set_working_hours(&self, hours: WorkingHours) {
        self.deadlines.set(self.calendar().with_hours(hours));
    }

    /// Reloads the calendar from the built-in years and those imported into the database.
    pub async fn load_calendar(&self) -> Result<()> {
        let mut imported = Vec::new();
        for (_, source) in self.store.calendar_years().await? {
            imported.push(CalendarYear::parse(&source)?);
        }
        let calendar = combine(imported, self.calendar().hours().clone())?;
        self.deadlines.set(calendar);
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
        self.deadlines.set(calendar);
        Ok(year.year)
    }
}
