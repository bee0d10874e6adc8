//! Reporting from the web form: a resident, unauthenticated, files a case through intake as
//! the residents' channel (source `web`). The form token is the idempotency key, so a double
//! submit files once and shows the same tracking code again.

use crate::cases::{NewCaseInput, ReporterInput, SubmitOutcome};
use crate::{App, AppError, Result};

/// What the report form sends (blank fields already dropped).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportForm {
    pub category_code: Option<String>,
    pub description: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    /// Drop name and phone even if typed.
    pub anonymous: bool,
}

impl App {
    /// Files a resident's report. `form_token` (from the page) makes a resubmission a replay.
    pub async fn resident_report(&self, form: &ReportForm, form_token: &str) -> Result<SubmitOutcome> {
        if form_token.len() != 32 || !form_token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AppError::invalid("form_token", "reload the form and try again"));
        }
        let reporter = if form.anonymous || (form.name.is_none() && form.phone.is_none()) {
            None
        } else {
            Some(ReporterInput { name: form.name.clone(), phone: form.phone.clone() })
        };
        let input = NewCaseInput {
            source: Some("web".into()),
            category_code: form.category_code.clone(),
            description: form.description.clone(),
            lat: form.lat,
            lon: form.lon,
            address: form.address.clone(),
            reporter,
            ..Default::default()
        };
        let actor = self.channel_actor().await?;
        self.submit_case(&actor, &input, Some(&format!("web-{form_token}"))).await
    }
}
