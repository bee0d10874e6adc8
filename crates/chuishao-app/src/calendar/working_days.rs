//! Deadline settings, and the working-day calendar in use: the years built into the binary, overridden and extended by
//! years an admin imported into the database (so every node computes the same deadlines), with
//! the deployment's working hours. Every other year from 2000 to 2100 is provisional, computed
//! from the statutory rules, so dispatch never stops at a year's end.

use crate::calendar::CalendarService;
use crate::{AppError, Result};
use chuishao_calendar::{Calendar, CalendarYear, WorkingHours};
use chuishao_domain::access::{Actor, Role};
use chuishao_domain::deadlines::DeadlinePolicy;
use chuishao_domain::whistle::WhistlePolicy;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// What deadlines are computed with, shared by every clone of the `App`: the swappable
/// calendar, the policy, and the bell that wakes the timer worker when a clock changes.
#[derive(Clone)]
pub struct DeadlineSettings {
    calendar: Arc<RwLock<Arc<Calendar>>>,
    policy: Arc<RwLock<Arc<DeadlinePolicy>>>,
    supervise_to: Arc<RwLock<Arc<SupervisionTarget>>>,
    /// Whistles' default check-in time per kind.
    whistle_policy: Arc<RwLock<Arc<WhistlePolicy>>>,
    /// The imported years (year, source) the calendar was last built from on this node.
    imported: Arc<RwLock<Arc<Imported>>>,
    pub(crate) wake: Arc<tokio::sync::Notify>,
}

/// The imported years `(year, TOML source)` a node last built its calendar from; `None`
/// before the first load.
type Imported = Option<Vec<(i32, String)>>;

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
            whistle_policy: Arc::new(RwLock::new(Arc::new(WhistlePolicy::default()))),
            imported: Arc::new(RwLock::new(Arc::new(None))),
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

    /// The years whose stored source differs from what this node last loaded, or `None` when
    /// nothing changed. On the first load every stored year counts as unchanged (nothing was
    /// computed on this node before), but the calendar is still built.
    fn imported_changed(&self, stored: &[(i32, String)]) -> Option<Vec<i32>> {
        let known = read(&self.imported);
        let Some(known) = known.as_ref() else { return Some(Vec::new()) };
        if known.as_slice() == stored {
            return None;
        }
        let old: BTreeMap<i32, &String> = known.iter().map(|(y, s)| (*y, s)).collect();
        let new: BTreeMap<i32, &String> = stored.iter().map(|(y, s)| (*y, s)).collect();
        let mut changed: Vec<i32> =
            old.keys().chain(new.keys()).copied().filter(|y| old.get(y) != new.get(y)).collect();
        changed.dedup();
        changed.sort_unstable();
        changed.dedup();
        Some(changed)
    }

    fn remember_imported(&self, stored: Vec<(i32, String)>) {
        write(&self.imported, Some(stored));
    }
}

/// Built-in years with `imported` laid over them (an imported year replaces a built-in one),
/// and provisional years everywhere else.
fn combine(imported: Vec<CalendarYear>, hours: WorkingHours) -> Result<Calendar> {
    let mut years: BTreeMap<i32, CalendarYear> =
        chuishao_calendar::builtin_years().into_iter().map(|y| (y.year, y)).collect();
    for y in imported {
        years.insert(y.year, y);
    }
    Ok(Calendar::with_provisional(years.into_values().collect(), hours)?)
}

impl CalendarService<'_> {
    /// The imported years as stored: (year, TOML source), ascending.
    async fn stored_calendar_years(&self) -> Result<Vec<(i32, String)>> {
        let rows = self.store.calendar_years().await?;
        Ok(rows.into_iter().filter_map(|(y, s)| Some((i32::try_from(y).ok()?, s))).collect())
    }

    /// The calendar deadlines are computed on.
    pub fn current(&self) -> Arc<Calendar> {
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

    /// The deployment's default check-in time per whistle kind.
    pub fn whistle_policy(&self) -> Arc<WhistlePolicy> {
        read(&self.deadlines.whistle_policy)
    }

    /// Replaces the whistle check-in defaults (configuration at start-up).
    pub fn set_whistle_policy(&self, policy: WhistlePolicy) {
        write(&self.deadlines.whistle_policy, policy);
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
        self.deadlines.set(self.current().with_hours(hours));
    }

    /// Reloads the calendar from the built-in years and those imported into the database.
    /// Returns the years whose schedule changed since the last load on this node (none on the
    /// first load, when nothing was known before).
    pub async fn load_calendar(&self) -> Result<Vec<i32>> {
        let stored = self.stored_calendar_years().await?;
        let Some(changed) = self.deadlines.imported_changed(&stored) else { return Ok(Vec::new()) };
        let mut imported = Vec::new();
        for (_, source) in &stored {
            imported.push(CalendarYear::parse(source)?);
        }
        let calendar = combine(imported, self.current().hours().clone())?;
        self.deadlines.set(calendar);
        self.deadlines.remember_imported(stored);
        Ok(changed)
    }

    /// Validates a year's TOML file (2000–2100, no day both off and worked, every statutory
    /// holiday day off), stores it for every node and starts using it: the official year
    /// replaces the provisional (or earlier official) one, and every running clock computed
    /// across it, and every whistle unit's check-in deadline, is re-timed (`retime_clocks`). Nothing is changed when the file is refused.
    pub async fn import_calendar_year(&self, text: &str) -> Result<YearImport> {
        let year = CalendarYear::parse(text)?;
        chuishao_calendar::check_statutory_days(&year)?;
        let mut stored = self.stored_calendar_years().await?;
        let mut imported = Vec::new();
        for (_, source) in &stored {
            imported.push(CalendarYear::parse(source)?);
        }
        imported.retain(|y| y.year != year.year);
        imported.push(year.clone());
        let calendar = combine(imported, self.current().hours().clone())?;
        let source = year.export();
        let mut tx = self.store.begin().await?;
        tx.put_calendar_year(year.year, &source, self.now_ms()).await?;
        tx.commit().await?;
        self.deadlines.set(calendar);
        stored.retain(|(y, _)| *y != year.year);
        stored.push((year.year, source));
        stored.sort();
        self.deadlines.remember_imported(stored);
        let retimed = self.retime_clocks(&[year.year]).await?;
        Ok(YearImport { year: year.year, retimed })
    }
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearImport {
    pub year: i32,
    /// Running or paused clocks, and whistle units' check-in deadlines, that moved.
    pub retimed: usize,
}

/// A loaded year as the API shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct CalendarYearView {
    pub year: i32,
    /// `true`: no official schedule is loaded for the year; it is computed from the statutory
    /// rules (no adjusted working days) until one is imported.
    pub provisional: bool,
    /// Days off, each range inclusive (`YYYY-MM-DD`).
    pub holidays: Vec<HolidayView>,
    /// Adjusted working days (调休): weekend days that are worked.
    pub working_days: Vec<AdjustedDayView>,
    /// The year as the TOML file `chuishao calendar import` and `PUT` read.
    pub source: String,
    /// After an import: how many running clocks and whistle units' check-in deadlines were
    /// re-timed (their deadline moved).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retimed_clocks: Option<usize>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct HolidayView {
    pub name: String,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct AdjustedDayView {
    pub name: String,
    pub date: String,
}

/// The calendar in use.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct CalendarView {
    /// e.g. `09:00-12:00,13:30-17:30` (Asia/Shanghai).
    pub working_hours: String,
    /// The official years (shipped or imported), ascending.
    pub years: Vec<CalendarYearView>,
    /// Every other supported year (2000–2100): provisional, computed from the statutory rules
    /// (`GET /api/v1/calendar/{year}` shows one).
    pub provisional_years: Vec<i32>,
}

/// The body of `PUT /api/v1/calendar/{year}`.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarImport {
    /// The year's TOML file (format of data/calendar/2026.toml).
    pub source: String,
}

/// Query of `GET /api/v1/calendar/due`: a start and exactly one allowance.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DueQuery {
    /// RFC 3339 start instant.
    pub from: String,
    /// Whole working days: the same clock time on the N-th following working day.
    pub working_days: Option<i64>,
    /// Working hours, counted only inside working hours.
    pub working_hours: Option<f64>,
    /// Wall-clock hours, 24×7.
    pub hours: Option<f64>,
}

/// The answer of `GET /api/v1/calendar/due`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct DueView {
    pub from: String,
    /// RFC 3339, +08:00.
    pub due_at: String,
    /// `true` when the working time counted crosses a provisional year: the deadline may move
    /// when that year's official schedule is imported.
    pub provisional: bool,
}

fn year_view(y: &CalendarYear, provisional: bool) -> CalendarYearView {
    CalendarYearView {
        year: y.year,
        provisional,
        holidays: y
            .holidays
            .iter()
            .map(|h| HolidayView { name: h.name.clone(), from: h.from.to_string(), to: h.to.to_string() })
            .collect(),
        working_days: y
            .working_days
            .iter()
            .map(|w| AdjustedDayView { name: w.name.clone(), date: w.date.to_string() })
            .collect(),
        source: y.export(),
        retimed_clocks: None,
    }
}

fn hours_ms(field: &str, h: f64) -> Result<i64> {
    if !h.is_finite() || !(0.0..=1e7).contains(&h) {
        return Err(AppError::invalid(field, "a non-negative number of hours"));
    }
    Ok((h * 3_600_000.0).round() as i64)
}

impl CalendarService<'_> {
    /// The calendar in use, for clients.
    pub fn calendar_view(&self) -> CalendarView {
        let cal = self.current();
        CalendarView {
            working_hours: cal.hours().to_text(),
            years: cal.official_years().map(|y| year_view(y, false)).collect(),
            provisional_years: cal.year_kinds().filter(|(_, p)| *p).map(|(y, _)| y.year).collect(),
        }
    }

    /// The year whose official holiday schedule should be imported now: the current year when
    /// it is still provisional, else from 1 November the next year while it is. `None` when
    /// nothing is missing. Shown to admins and by `/readyz` (which stays ready).
    pub fn provisional_year_due(&self) -> Option<i32> {
        use chrono::Datelike;
        let local = chrono::DateTime::from_timestamp_millis(self.now_ms() + chuishao_calendar::CST_OFFSET_MS)?;
        let (year, month) = (local.year(), local.month());
        let cal = self.current();
        if cal.is_provisional_year(year) {
            return Some(year);
        }
        (month >= 11 && cal.is_provisional_year(year + 1)).then_some(year + 1)
    }

    /// One supported year, official or provisional.
    pub fn calendar_year_view(&self, year: i32) -> Result<CalendarYearView> {
        let cal = self.current();
        let (y, provisional) = cal.year(year).ok_or(chuishao_calendar::CalendarError::YearOutOfRange(year))?;
        Ok(year_view(y, provisional))
    }

    /// Imports an official year from its TOML text (the CLI), refusing a file for another year
    /// than `expected` when given.
    pub async fn import_official_year(&self, text: &str, expected: Option<i32>) -> Result<YearImport> {
        let parsed = CalendarYear::parse(text)?;
        if let Some(year) = expected
            && parsed.year != year
        {
            return Err(AppError::invalid("year", format!("the file is for {}, not {year}", parsed.year)));
        }
        self.import_calendar_year(text).await
    }

    /// An admin imports (or replaces) `year` from its TOML text.
    pub async fn import_calendar_year_as(&self, actor: &Actor, year: i32, text: &str) -> Result<CalendarYearView> {
        if !actor.has_role(Role::Admin) {
            return Err(AppError::Forbidden(format!("{} may not change the calendar", actor.username)));
        }
        let parsed = CalendarYear::parse(text)?;
        if parsed.year != year {
            return Err(AppError::invalid("source", format!("the file is for {}, not {year}", parsed.year)));
        }
        let done = self.import_calendar_year(text).await?;
        Ok(CalendarYearView { retimed_clocks: Some(done.retimed), ..self.calendar_year_view(year)? })
    }

    /// When something is due: `q.from` plus exactly one allowance.
    pub fn due(&self, q: &DueQuery) -> Result<DueView> {
        let from = crate::time::parse_rfc3339(&q.from)
            .ok_or_else(|| AppError::invalid("from", "an RFC 3339 instant, e.g. 2026-01-31T09:00:00+08:00"))?;
        let allowance = match (q.working_days, q.working_hours, q.hours) {
            (Some(n), None, None) => chuishao_calendar::Allowance::WorkingDays(n),
            (None, Some(h), None) => chuishao_calendar::Allowance::WorkingMs(hours_ms("working_hours", h)?),
            (None, None, Some(h)) => chuishao_calendar::Allowance::WallMs(hours_ms("hours", h)?),
            _ => {
                return Err(AppError::invalid(
                    "working_days",
                    "give exactly one of working_days, working_hours, hours",
                ));
            }
        };
        let cal = self.current();
        let due = cal.due(from, allowance)?;
        let provisional =
            !matches!(allowance, chuishao_calendar::Allowance::WallMs(_)) && cal.provisional_between(from, due);
        Ok(DueView { from: crate::time::rfc3339(from), due_at: crate::time::rfc3339(due), provisional })
    }
}
