//! The command line: serve, migrate, init, verify-audit.
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "rongrian", version, about = "Complaint and whistleblower intake service (ร้องเรียน)")]
pub struct Cli {
    /// A TOML file layered over the built-in defaults (see config/default.toml)
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Clone)]
pub struct Location {
    /// Data directory (SQLite database and secrets)
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL URL for production; the embedded SQLite database when absent
    #[arg(long, global = true, env = "RONGRIAN_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the service (initialises a new data directory on first start)
    Serve {
        #[command(flatten)]
        location: Location,
        /// Address to listen on, e.g. 127.0.0.1:8080
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Apply database migrations and exit
    Migrate {
        #[command(flatten)]
        location: Location,
    },
    /// Create a new installation non-interactively: secrets, escrow key, unit keys
    Init {
        #[command(flatten)]
        location: Location,
        /// Where to write the escrow secret (an age identity file) for offline keeping
        #[arg(long)]
        escrow_identity_out: PathBuf,
        /// Username of the first administrator, whose password and TOTP secret are printed once
        #[arg(long, default_value = "admin")]
        admin_username: String,
    },
    /// Key maintenance
    Keys {
        #[command(flatten)]
        location: Location,
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Manage staff accounts
    Users {
        #[command(flatten)]
        location: Location,
        #[command(subcommand)]
        action: UsersAction,
    },
    /// Produce the annual report of a fiscal year
    Report {
        #[command(flatten)]
        location: Location,
        /// Buddhist Era fiscal year, e.g. 2569
        #[arg(long)]
        fiscal_year: i64,
        /// protection | full | statistics
        #[arg(long, default_value = "protection")]
        section: String,
        /// html | docx | xlsx | csv | json
        #[arg(long, default_value = "html")]
        format: String,
        /// thai | arabic (HTML and DOCX; XLSX, CSV and JSON always use Arabic numerals)
        #[arg(long, default_value = "thai")]
        numerals: String,
        /// Where to write it
        #[arg(long)]
        out: PathBuf,
    },
    /// Manage the measures of each fiscal year
    Measures {
        #[command(flatten)]
        location: Location,
        #[command(subcommand)]
        action: MeasuresAction,
    },
    /// Destroy the sealed material of cases whose retention has ended ([retention]), keeping
    /// tombstones for the figures; with --dry-run, list what would go
    Purge {
        #[command(flatten)]
        location: Location,
        /// List what would be destroyed and change nothing
        #[arg(long)]
        dry_run: bool,
        /// With --dry-run: as if today were this day (YYYY-MM-DD)
        #[arg(long, requires = "dry_run")]
        as_of: Option<String>,
    },
    /// Check the hash chain of the audit trail, its head and its anchor
    VerifyAudit {
        #[command(flatten)]
        location: Location,
        /// A head recorded outside the system (the daily mail, the annual report): ENTRIES:HASH
        #[arg(long)]
        expect_head: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum UsersAction {
    /// Create an account; its generated password and TOTP secret are printed once
    Add {
        #[arg(long)]
        username: String,
        /// Full name as shown to colleagues
        #[arg(long)]
        name: String,
        /// Where notifications of new cases, reporter messages and deadlines go
        #[arg(long)]
        email: Option<String>,
        /// intake_officer, unit_officer, identity_custodian, administrator or auditor (repeatable)
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
    /// Grant units to an account (after its first sign-in) with the escrow identity
    Grant {
        #[arg(long)]
        username: String,
        #[arg(long = "unit", required = true)]
        units: Vec<String>,
        #[arg(long)]
        escrow_identity: PathBuf,
    },
    /// Give an identity custodian (after its first sign-in) the identity-custody key, with the escrow
    /// identity; later custodians can be granted by an existing one on the web
    GrantCustody {
        #[arg(long)]
        username: String,
        #[arg(long)]
        escrow_identity: PathBuf,
    },
    /// Disable an account and end its sessions
    Disable {
        #[arg(long)]
        username: String,
    },
    /// New password, personal key and TOTP secret; unit grants must then be renewed
    Reset {
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
pub enum KeysAction {
    /// Re-seal every reporter identity to the identity-custody key and escrow only (after an
    /// upgrade: identities from before the custody key were sealed to custodians one by one)
    ResealIdentities {
        #[arg(long)]
        escrow_identity: PathBuf,
    },
    /// Make a new totp.key and re-seal every officer's TOTP secret to it (stop the service first)
    RotateTotp,
}

#[derive(Subcommand)]
pub enum MeasuresAction {
    /// Import (add or update) a year's measures from a TOML file like config/measures/2568.toml
    Import {
        #[arg(long)]
        file: PathBuf,
    },
    /// Copy a year's measures to another year (periods move to the new year)
    Copy {
        #[arg(long)]
        from: i64,
        #[arg(long)]
        to: i64,
    },
}
