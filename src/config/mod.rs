//! Layered, typed, closed configuration: built-in defaults, then an optional file, then RONGRIAN_ env.
use crate::domain::complaint::Category;
use crate::domain::routing::{RoutingError, RoutingRules};
use figment::Figment;
use figment::providers::{Env, Format, Toml};
use secrecy::SecretString;
use serde::Deserialize;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

pub const DEFAULT_TOML: &str = include_str!("../../config/default.toml");

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub log: LogSettings,
    pub limits: LimitSettings,
    pub staff: StaffSettings,
    pub smtp: SmtpSettings,
    pub notify: NotifySettings,
    pub deadlines: DeadlineSettings,
    pub routing: RoutingSettings,
    pub units: Vec<UnitSettings>,
    pub organisation: OrganisationSettings,
    pub report: ReportSettings,
    pub evidence: EvidenceSettings,
    pub retention: RetentionSettings,
    pub metrics: MetricsSettings,
}

/// `/metrics` (Prometheus text format) on an address of its own; empty means off.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    pub listen: String,
}

/// How long closed cases are kept (counted from the day a case is closed).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    pub corruption_years: u16,
    pub general_years: u16,
    /// The reporter's identity may be destroyed sooner; 0 means together with the case.
    pub identity_years_after_close: u16,
    /// Purge once a day from the background worker.
    pub automatic: bool,
    pub form_nonce_days: u16,
    pub failed_mail_days: u16,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceSettings {
    /// Empty: the `evidence` directory in the data directory; or `s3://bucket/prefix`.
    pub store: String,
    pub max_file_bytes: u64,
    pub max_files_per_case: u32,
    /// Time limit of requests that move whole files: uploads, downloads, hand-overs, exports.
    pub transfer_timeout_secs: u64,
    /// Kinds accepted (`jpeg`, `png`, `webp`, `heic`, `pdf`, `docx`, `xlsx`, `text`, `mp3`, `m4a`, `wav`, `mp4`).
    pub allowed: Vec<String>,
}

impl EvidenceSettings {
    pub fn limits(&self) -> Result<crate::evidence::Limits, ConfigError> {
        let allowed = self
            .allowed
            .iter()
            .map(|code| {
                crate::domain::evidence::FileKind::from_code(code)
                    .ok_or_else(|| ConfigError::Rule(format!("evidence.allowed: unknown kind `{code}`")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(crate::evidence::Limits {
            max_file_bytes: self.max_file_bytes,
            max_files_per_case: self.max_files_per_case,
            allowed,
        })
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSettings {
    #[serde(default)]
    pub link_rules: Vec<crate::report::figures::LinkRule>,
    /// The preface (คำนำ) of the full report; paragraphs apart by an empty line, `{fiscal_year}`
    /// for the year. Empty: a text made from the organisation's name and the year.
    #[serde(default)]
    pub preface_th: String,
    /// The signature block under the report: who reports, who approves.
    #[serde(default)]
    pub signatures: Vec<Signature>,
    /// The ITA item each document is evidence for, per fiscal year (they change every year).
    #[serde(default)]
    pub ita_items: Vec<ItaItem>,
}

/// "In fiscal year 2569 the statistics are ITA item O14."
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItaItem {
    pub fiscal_year: u16,
    /// `manual`, `statistics`, `protection` or `report`.
    pub document: String,
    pub item: String,
}

impl ReportSettings {
    /// The ITA item of a document in a year, if configured.
    pub fn ita_item(&self, fiscal_year: u16, document: &str) -> Option<&str> {
        self.ita_items
            .iter()
            .find(|i| i.fiscal_year == fiscal_year && i.document == document)
            .map(|i| i.item.as_str())
    }
}

/// One signature of a report: "ลงชื่อ …… (name) position", under its role.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// ผู้รายงาน, ผู้เห็นชอบ, ผู้อนุมัติ …
    pub role_th: String,
    pub name_th: String,
    pub position_th: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganisationSettings {
    pub name_th: String,
    pub name_en: String,
    pub locality_th: String,
    pub locality_en: String,
    pub office_th: String,
    pub office_en: String,
    pub contact_th: String,
    pub contact_en: String,
    /// The office's postal address, for the complaint-handling manual (walk-in and letters).
    #[serde(default)]
    pub address_th: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: SecretString,
    /// How long a request waits for a database connection before it is answered 503.
    pub database_timeout_secs: u64,
    pub public_base_url: String,
    pub trusted_proxies: Vec<IpAddr>,
    pub secure_cookies: bool,
    pub max_body_bytes: usize,
    pub request_timeout_secs: u64,
    /// Time a client has to send a request's headers (and a kept-alive connection its next request).
    pub header_timeout_secs: u64,
    /// Connections served at once.
    pub max_connections: usize,
    pub shutdown_grace_secs: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub filter: String,
    pub json: bool,
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaSettings {
    pub burst: u32,
    pub period_ms: u64,
}

/// A group's limits: per client address, and for all clients of the group together.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupLimit {
    pub burst: u32,
    pub period_ms: u64,
    pub global_burst: u32,
    pub global_period_ms: u64,
}

impl GroupLimit {
    pub fn client(&self) -> QuotaSettings {
        QuotaSettings { burst: self.burst, period_ms: self.period_ms }
    }

    pub fn global(&self) -> QuotaSettings {
        QuotaSettings { burst: self.global_burst, period_ms: self.global_period_ms }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    pub submit: GroupLimit,
    pub lookup: GroupLimit,
    pub follow_up: GroupLimit,
    pub browse: GroupLimit,
    pub login: GroupLimit,
    /// `/healthz` and `/readyz` (which touches the database).
    pub ops: GroupLimit,
    /// Paths that do not exist.
    pub unknown: GroupLimit,
    pub login_account: QuotaSettings,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffSettings {
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub session_idle_minutes: u32,
    pub session_absolute_hours: u32,
    pub totp_issuer: String,
}

impl StaffSettings {
    pub fn password_cost(&self) -> crate::crypto::password::PasswordCost {
        crate::crypto::password::PasswordCost {
            memory_kib: self.argon2_memory_kib,
            iterations: self.argon2_iterations,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    None,
    Starttls,
    Tls,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: String,
    pub password_file: PathBuf,
    pub from: String,
    pub timeout_secs: u64,
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifySettings {
    pub poll_secs: u64,
    pub max_attempts: u32,
    pub remind_days_before: u16,
    /// From this hour (0–23, Thai time) each day, units are told of the reporters' online actions
    /// since the last such mail (new cases, messages, files) in one mail per case and kind.
    pub digest_hour: u8,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineSettings {
    pub acknowledge_days: u16,
    pub result_days: u16,
    pub count: crate::domain::deadline::DayCount,
    pub holidays_file: PathBuf,
}

pub const BUILT_IN_HOLIDAYS: &str = include_str!("../../config/holidays.toml");

#[derive(Deserialize)]
struct HolidayFile {
    holiday: Vec<Holiday>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Holiday {
    date: toml::value::Datetime,
    name_th: String,
}

impl DeadlineSettings {
    /// The deadline calendar: the day count and the holidays (from the file, or the built-in list).
    pub fn calendar(&self) -> Result<crate::domain::deadline::Calendar, ConfigError> {
        let text = if self.holidays_file.as_os_str().is_empty() {
            BUILT_IN_HOLIDAYS.to_owned()
        } else {
            std::fs::read_to_string(&self.holidays_file)
                .map_err(|e| ConfigError::Rule(format!("deadlines.holidays_file: {e}")))?
        };
        // figment turns TOML dates into maps, so this small file is read with the toml crate itself.
        let file: HolidayFile =
            toml::from_str(&text).map_err(|e| ConfigError::Rule(format!("holidays: {e}")))?;
        let mut dates = Vec::new();
        for h in file.holiday {
            let text = h.date.to_string();
            let date = time::Date::parse(&text, &time::format_description::well_known::Iso8601::DATE)
                .map_err(|_| ConfigError::Rule(format!("holidays: `{text}` is not a date")))?;
            dates.push(date);
        }
        Ok(crate::domain::deadline::Calendar::new(self.count, dates))
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingSettings {
    pub default_unit: String,
    pub categories: HashMap<String, String>,
    pub alternates: HashMap<String, String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitSettings {
    pub code: String,
    pub name_th: String,
    pub name_en: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("configuration: {0}")]
    Invalid(Box<figment::Error>),
    #[error("configuration: {0}")]
    Rule(String),
    #[error("configuration: routing: {0}")]
    Routing(#[from] RoutingError),
}

impl Settings {
    /// Loads defaults, then `file` if given, then `RONGRIAN_*` environment variables.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Toml::string(DEFAULT_TOML));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::MissingFile(path.to_owned()));
            }
            figment = figment.merge(Toml::file(path));
        }
        // RONGRIAN_DATABASE_URL is read by the command line (it is a secret, not a setting path).
        let env = Env::prefixed("RONGRIAN_").ignore(&["database_url"]).split("__");
        let settings: Settings =
            figment.merge(env).extract().map_err(|e| ConfigError::Invalid(Box::new(e)))?;
        settings.validate()?;
        Ok(settings)
    }

    /// The built-in defaults alone (tests start from these and change what they need).
    pub fn defaults() -> Result<Self, ConfigError> {
        let settings: Settings = Figment::from(Toml::string(DEFAULT_TOML))
            .extract()
            .map_err(|e| ConfigError::Invalid(Box::new(e)))?;
        settings.validate()?;
        Ok(settings)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut seen = std::collections::HashSet::new();
        for u in &self.units {
            let valid_code = !u.code.is_empty()
                && u.code.len() <= 32
                && u.code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !valid_code {
                return Err(ConfigError::Rule(format!("unit code `{}` must be 1-32 of a-z, 0-9, _", u.code)));
            }
            if !seen.insert(u.code.as_str()) {
                return Err(ConfigError::Rule(format!("unit `{}` is configured twice", u.code)));
            }
        }
        let l = &self.limits;
        let mut quotas = vec![("login_account", l.login_account)];
        for (name, g) in [
            ("submit", l.submit),
            ("lookup", l.lookup),
            ("follow_up", l.follow_up),
            ("browse", l.browse),
            ("login", l.login),
            ("ops", l.ops),
            ("unknown", l.unknown),
        ] {
            quotas.push((name, g.client()));
            quotas.push((name, g.global()));
        }
        for (name, q) in quotas {
            if q.burst == 0 || q.period_ms == 0 {
                return Err(ConfigError::Rule(format!("limits.{name}: bursts and periods must be above 0")));
            }
        }
        if self.staff.argon2_memory_kib < 1024 || self.staff.argon2_iterations == 0 {
            return Err(ConfigError::Rule(
                "staff: argon2_memory_kib >= 1024 and argon2_iterations >= 1".into(),
            ));
        }
        if self.staff.session_idle_minutes == 0 || self.staff.session_absolute_hours == 0 {
            return Err(ConfigError::Rule("staff: session lifetimes must be above 0".into()));
        }
        if !self.smtp.host.is_empty() && self.smtp.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::Rule(format!("smtp.from `{}` is not a mailbox", self.smtp.from)));
        }
        if self.notify.poll_secs == 0 || self.notify.max_attempts == 0 {
            return Err(ConfigError::Rule("notify: poll_secs and max_attempts must be above 0".into()));
        }
        if self.notify.digest_hour > 23 {
            return Err(ConfigError::Rule("notify: digest_hour is an hour of the day, 0 to 23".into()));
        }
        if self.server.max_body_bytes < 1024 {
            return Err(ConfigError::Rule("server.max_body_bytes must be at least 1024".into()));
        }
        self.routing_rules()?;
        self.deadlines.calendar()?;
        self.evidence.limits()?;
        let r = &self.retention;
        if r.corruption_years == 0 || r.general_years == 0 {
            return Err(ConfigError::Rule(
                "retention: corruption_years and general_years must be at least 1".into(),
            ));
        }
        if r.identity_years_after_close > r.corruption_years.min(r.general_years) {
            return Err(ConfigError::Rule(
                "retention: identity_years_after_close cannot be longer than the cases are kept".into(),
            ));
        }
        if self.evidence.max_file_bytes < 1024 || self.evidence.max_files_per_case == 0 {
            return Err(ConfigError::Rule(
                "evidence: max_file_bytes must be at least 1024 and max_files_per_case above 0".into(),
            ));
        }
        for rule in &self.report.link_rules {
            for flag in &rule.flags {
                if crate::domain::measure::MeasureFlag::from_code(flag).is_none() {
                    return Err(ConfigError::Rule(format!("report.link_rules: unknown flag `{flag}`")));
                }
            }
        }
        Ok(())
    }

    /// A fingerprint of each section, so a change of configuration between starts can be audited
    /// (secrets appear redacted, so a changed password alone does not show).
    pub fn fingerprints(&self) -> std::collections::BTreeMap<&'static str, String> {
        let f = |debug: String| blake3::hash(debug.as_bytes()).to_hex()[..16].to_owned();
        std::collections::BTreeMap::from([
            ("server", f(format!("{:?}", self.server))),
            ("log", f(format!("{:?}", self.log))),
            ("limits", f(format!("{:?}", self.limits))),
            ("staff", f(format!("{:?}", self.staff))),
            ("smtp", f(format!("{:?}", self.smtp))),
            ("notify", f(format!("{:?}", self.notify))),
            ("deadlines", f(format!("{:?}", self.deadlines))),
            (
                "routing",
                f(format!(
                    "{:?} {:?} {:?}",
                    self.routing.default_unit,
                    sorted(&self.routing.categories),
                    sorted(&self.routing.alternates)
                )),
            ),
            ("units", f(format!("{:?}", self.units))),
            ("organisation", f(format!("{:?}", self.organisation))),
            ("report", f(format!("{:?}", self.report))),
            ("evidence", f(format!("{:?}", self.evidence))),
            ("retention", f(format!("{:?}", self.retention))),
        ])
    }

    pub fn unit_codes(&self) -> Vec<&str> {
        self.units.iter().map(|u| u.code.as_str()).collect()
    }

    pub fn unit(&self, code: &str) -> Option<&UnitSettings> {
        self.units.iter().find(|u| u.code == code)
    }

    pub fn routing_rules(&self) -> Result<RoutingRules, ConfigError> {
        let mut by_category = HashMap::new();
        for (code, unit) in &self.routing.categories {
            let category = Category::from_code(code)
                .ok_or_else(|| ConfigError::Rule(format!("routing.categories: unknown category `{code}`")))?;
            by_category.insert(category, unit.clone());
        }
        Ok(RoutingRules::new(
            &self.unit_codes(),
            &self.routing.default_unit,
            by_category,
            self.routing.alternates.clone(),
        )?)
    }
}

/// A map's entries in a stable order (HashMap iteration order changes from run to run).
fn sorted(map: &HashMap<String, String>) -> Vec<(&String, &String)> {
    let mut v: Vec<_> = map.iter().collect();
    v.sort();
    v
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_route_to_palad() {
        let s = Settings::defaults().unwrap();
        assert_eq!(s.routing.default_unit, "palad");
        assert!(s.unit_codes().contains(&"audit"));
    }

    #[test]
    fn an_unknown_key_in_a_file_fails() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[server]\nlisten_typo = \"x\"\n").unwrap();
        let err = Settings::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("listen_typo"), "{err}");
    }

    #[test]
    fn a_digest_hour_past_23_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[notify]\ndigest_hour = 24\n").unwrap();
        let err = Settings::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("digest_hour"), "{err}");
    }

    #[test]
    fn the_production_example_in_deploy_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/config/production.toml.example");
        let s = Settings::load(Some(&path)).unwrap();
        assert_eq!(s.server.trusted_proxies, vec!["127.0.0.2".parse::<IpAddr>().unwrap()]);
    }

    #[test]
    fn the_built_in_holidays_load_and_count() {
        let s = Settings::defaults().unwrap();
        let calendar = s.deadlines.calendar().unwrap();
        assert!(!calendar.is_working_day(time::macros::date!(2026 - 04 - 13)), "Songkran");
        assert!(calendar.is_working_day(time::macros::date!(2026 - 04 - 16)));
    }

    #[test]
    fn a_missing_file_fails() {
        assert!(matches!(
            Settings::load(Some(Path::new("/nonexistent.toml"))),
            Err(ConfigError::MissingFile(_))
        ));
    }
}
