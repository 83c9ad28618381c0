//! Entry point: parse the command line, load configuration, dispatch.
use anyhow::Context;
use clap::Parser;
use rongrian::app::{App, shutdown_signal};
use rongrian::cli::{Cli, Command, Location};
use rongrian::cli::{KeysAction, MeasuresAction, UsersAction};
use rongrian::clock::Clock;
use rongrian::config::Settings;
use rongrian::crypto::keys::read_identity_file;
use rongrian::domain::fiscal_year::FiscalYear;
use rongrian::domain::staff::{Role, Roles, Username};
use rongrian::report::measures_file::Changer;
use rongrian::report::render::{Format, Numerals, Section};
use rongrian::setup::{self, DataPaths};
use rongrian::staff::accounts::{self as staff_accounts, AdminContext, Credentials};
use rongrian::storage::{Store, audit};
use secrecy::SecretString;

fn apply_location(settings: &mut Settings, location: &Location) {
    if let Some(dir) = &location.data_dir {
        settings.server.data_dir = dir.clone();
    }
    if let Some(url) = &location.database_url {
        settings.server.database_url = SecretString::from(url.clone());
    }
}

async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    std::fs::create_dir_all(&settings.server.data_dir)
        .with_context(|| format!("cannot create {}", settings.server.data_dir.display()))?;
    let url = setup::database_url(&settings.server.database_url, &settings.server.data_dir);
    let timeout = std::time::Duration::from_secs(settings.server.database_timeout_secs.max(1));
    Ok(Store::connect_with(&url, timeout).await?)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut settings = Settings::load(cli.config.as_deref())?;
    rongrian::telemetry::init(&settings.log.filter, settings.log.json);
    let clock = Clock::system();
    match cli.command {
        Command::Serve { location, listen } => {
            let shutdown = shutdown_signal();
            apply_location(&mut settings, &location);
            if let Some(addr) = listen {
                settings.server.listen = addr;
            }
            let store = open_store(&settings).await?;
            store.migrate().await?;
            let paths = DataPaths::new(&settings.server.data_dir);
            if !paths.has_secrets() {
                first_start(&settings, &paths, &store, &clock).await?;
            }
            let secrets = setup::load_secrets(&paths)?;
            let audit_key = audit::AuditKey::anchored(secrets.audit_key.clone(), &settings.server.data_dir);
            let by = Changer { audit_key: &audit_key, actor: "setup", today: clock.today() };
            if rongrian::report::measures_file::import_example_if_missing(&store, &settings, &by).await? {
                tracing::info!("imported the example measures (config/measures/2568.toml)");
            }
            let made = setup::ensure_unit_keys(&settings, &store, &clock).await?;
            if !made.is_empty() {
                tracing::info!(units = ?made, "made keys for newly configured units");
            }
            let granted = setup::ensure_custody_key(&store, &clock, &audit_key).await?;
            let changed = setup::record_configuration(&settings, &store, &clock, &audit_key).await?;
            if !changed.is_empty() {
                tracing::info!(sections = ?changed, "configuration changed since the last start (audited)");
            }
            if !granted.is_empty() {
                tracing::info!(custodians = ?granted, "made the identity-custody key for the existing custodians");
            }
            let app = App::build(settings, store, clock).await?;
            let addr = app.local_addr()?;
            println!("Rongrian is listening on http://{addr}/");
            tracing::info!(%addr, "listening");
            app.run_until(shutdown).await?;
        }
        Command::Migrate { location } => {
            apply_location(&mut settings, &location);
            open_store(&settings).await?.migrate().await?;
            println!("migrations applied");
        }
        Command::Init { location, escrow_identity_out, admin_username } => {
            apply_location(&mut settings, &location);
            let admin =
                Username::parse(&admin_username).context("the administrator's username is not valid")?;
            let store = open_store(&settings).await?;
            let paths = DataPaths::new(&settings.server.data_dir);
            let report = setup::initialise(&settings, &paths, &store, &escrow_identity_out, &clock).await?;
            println!("initialised {}", settings.server.data_dir.display());
            println!("  secrets:           {} (mode 0600; back them up)", report.secrets_dir.display());
            println!("  escrow recipient:  {}", report.escrow_recipient);
            println!(
                "  escrow identity:   {} -- move it offline now; the server does not keep it",
                report.escrow_identity_file.display()
            );
            println!("  unit keys:         {}", report.units.join(", "));
            let secrets = setup::load_secrets(&paths)?;
            let audit_key = audit::AuditKey::anchored(secrets.audit_key.clone(), &settings.server.data_dir);
            let ctx = staff_context(&store, &settings, &clock, &secrets, &audit_key);
            let roles = Roles::new([Role::Administrator]);
            let credentials = staff_accounts::create(
                &ctx,
                &staff_accounts::NewStaff {
                    username: &admin,
                    display_name: "ผู้ดูแลระบบ",
                    roles: &roles,
                    email: None,
                },
            )
            .await?;
            hand_over_credentials(&credentials, &settings.server.data_dir)?;
        }
        Command::Users { location, action } => {
            apply_location(&mut settings, &location);
            let store = open_store(&settings).await?;
            let secrets = setup::load_secrets(&DataPaths::new(&settings.server.data_dir))?;
            let audit_key = audit::AuditKey::anchored(secrets.audit_key.clone(), &settings.server.data_dir);
            let ctx = staff_context(&store, &settings, &clock, &secrets, &audit_key);
            users(&ctx, action).await?;
        }
        Command::Report { location, fiscal_year, section, format, numerals, out } => {
            apply_location(&mut settings, &location);
            let fy = FiscalYear::from_be(fiscal_year)
                .map_err(|_| anyhow::anyhow!("fiscal year {fiscal_year} is out of range"))?;
            let section = Section::parse(&section).context("--section is protection, full or statistics")?;
            let format = Format::parse(&format).context("--format is html, docx, xlsx, csv or json")?;
            let numerals = match numerals.as_str() {
                "thai" => Numerals::Thai,
                "arabic" => Numerals::Arabic,
                _ => anyhow::bail!("--numerals is thai or arabic"),
            };
            let store = open_store(&settings).await?;
            store.migrate().await?;
            let data = rongrian::report::load_from(&store, &settings, fy, clock.today()).await?;
            let bytes = rongrian::report::render::bytes(&data, section, format, numerals, &settings, true)?;
            std::fs::write(&out, bytes).with_context(|| format!("cannot write {}", out.display()))?;
            println!("wrote {} ({} cases in fiscal year {})", out.display(), data.figures.received, fy);
        }
        Command::Measures { location, action } => {
            apply_location(&mut settings, &location);
            let store = open_store(&settings).await?;
            store.migrate().await?;
            let secrets = setup::load_secrets(&DataPaths::new(&settings.server.data_dir))?;
            let audit_key = audit::AuditKey::anchored(secrets.audit_key.clone(), &settings.server.data_dir);
            let by = Changer { audit_key: &audit_key, actor: "cli", today: clock.today() };
            match action {
                MeasuresAction::Import { file } => {
                    let text = std::fs::read_to_string(&file)
                        .with_context(|| format!("cannot read {}", file.display()))?;
                    let list = rongrian::report::measures_file::parse(&text, &settings)?;
                    rongrian::report::measures_file::import(&store, &list, &by).await?;
                    println!("imported {} measures", list.len());
                }
                MeasuresAction::Copy { from, to } => {
                    let year = |y: i64| {
                        FiscalYear::from_be(y).map_err(|_| anyhow::anyhow!("fiscal year {y} is out of range"))
                    };
                    let n =
                        rongrian::report::measures_file::copy_forward(&store, year(from)?, year(to)?, &by)
                            .await?;
                    println!("copied {n} measures from {from} to {to}");
                }
            }
        }
        Command::Keys { location, action } => {
            apply_location(&mut settings, &location);
            let store = open_store(&settings).await?;
            store.migrate().await?;
            let secrets = setup::load_secrets(&DataPaths::new(&settings.server.data_dir))?;
            let audit_key = audit::AuditKey::anchored(secrets.audit_key, &settings.server.data_dir);
            match action {
                KeysAction::ResealIdentities { escrow_identity } => {
                    let escrow = read_identity_file(&escrow_identity)?;
                    let n = rongrian::staff::custody::reseal_identities(&store, &clock, &audit_key, &escrow)
                        .await?;
                    println!("re-sealed {n} identities to the identity-custody key and escrow");
                }
                KeysAction::RotateTotp => {
                    let paths = DataPaths::new(&settings.server.data_dir);
                    let secrets = setup::load_secrets(&paths)?;
                    let n = setup::rotate_totp_key(&store, &paths, &secrets, &clock, &audit_key).await?;
                    println!("made a new {} and re-sealed {n} TOTP secrets to it", paths.totp_key.display());
                }
            }
        }
        Command::Purge { location, dry_run, as_of } => {
            apply_location(&mut settings, &location);
            let store = open_store(&settings).await?;
            store.migrate().await?;
            let as_of = match as_of.as_deref() {
                Some(day) => time::Date::parse(day, &time::format_description::well_known::Iso8601::DATE)
                    .context("--as-of is a date, YYYY-MM-DD")?,
                None => clock.today(),
            };
            if dry_run {
                let due = rongrian::retention::due(&store, &settings, as_of).await?;
                if due.is_empty() {
                    println!("nothing is due for destruction on {as_of}");
                }
                for d in &due {
                    let what = match d.scope {
                        rongrian::retention::Scope::Case => {
                            "case (content, identity, messages, notes, files)"
                        }
                        rongrian::retention::Scope::Identity => "identity only",
                    };
                    println!(
                        "{}  {}  closed {}  expired {}  {what}",
                        d.reference, d.track, d.closed_on, d.expires_on
                    );
                }
                println!("{} due on {as_of} (dry run: nothing was changed)", due.len());
            } else {
                let secrets = setup::load_secrets(&DataPaths::new(&settings.server.data_dir))?;
                let audit_key = audit::AuditKey::anchored(secrets.audit_key, &settings.server.data_dir);
                let vault =
                    rongrian::evidence::Vault::open(&settings.evidence.store, &settings.server.data_dir)?;
                let purger = rongrian::retention::Purger {
                    store: &store,
                    settings: &settings,
                    vault: &vault,
                    audit_key: &audit_key,
                    as_of,
                    actor: "cli",
                };
                let done = rongrian::retention::purge(&purger).await?;
                println!(
                    "destroyed {} case(s) and {} identity(ies) ({} file(s)); removed {} orphaned file(s), {} old form nonce(s), {} failed mail(s)",
                    done.cases.len(),
                    done.identities.len(),
                    done.files,
                    done.orphan_files,
                    done.nonces,
                    done.failed_mails
                );
                for r in done.cases.iter().chain(&done.identities) {
                    println!("  {r}");
                }
            }
        }
        Command::VerifyAudit { location, expect_head } => {
            apply_location(&mut settings, &location);
            let expected = match expect_head.as_deref() {
                Some(text) => Some(audit::ExpectedHead::parse(text).context(
                    "--expect-head is ENTRIES:HASH, the hash in full or its first 16 or more hex digits",
                )?),
                None => None,
            };
            let store = open_store(&settings).await?;
            let secrets = setup::load_secrets(&DataPaths::new(&settings.server.data_dir))?;
            let key = audit::AuditKey::anchored(secrets.audit_key, &settings.server.data_dir);
            let mut conn = store.pool().acquire().await?;
            let result = audit::verify(&mut conn, &key, expected.as_ref()).await?;
            if result.anchor_missing {
                println!(
                    "warning: no anchor file in the data directory: removing the last entries cannot be detected"
                );
            }
            if let Some(anchor) = &result.anchor {
                println!("anchor file: {} entries, head {}", anchor.entries, anchor.hash_hex);
            }
            if result.intact() {
                println!("audit trail intact: {} entries", result.entries);
            } else {
                for finding in &result.findings {
                    eprintln!("audit trail: {finding}");
                }
                anyhow::bail!("audit trail broken: {} problem(s) found", result.findings.len());
            }
        }
    }
    Ok(())
}

/// With no configuration at all, `serve` sets itself up. The escrow secret goes next to (not into)
/// the data directory, and we say loudly that it belongs offline.
async fn first_start(
    settings: &Settings,
    paths: &DataPaths,
    store: &Store,
    clock: &Clock,
) -> anyhow::Result<()> {
    let dir = settings.server.data_dir.canonicalize().unwrap_or_else(|_| settings.server.data_dir.clone());
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "data".into());
    let escrow_out = dir.with_file_name(format!("{name}-escrow-identity.txt"));
    let report = setup::initialise(settings, paths, store, &escrow_out, clock).await?;
    println!("First start: initialised a new installation in {}", dir.display());
    println!(
        "  database:         {}",
        if paths.data_dir.join("rongrian.db").exists() { "rongrian.db (SQLite)" } else { "as configured" }
    );
    println!("  secrets:          {} (mode 0600)", report.secrets_dir.display());
    println!("  unit keys:        {}", report.units.join(", "));
    println!("  escrow identity:  {}", report.escrow_identity_file.display());
    println!("  !! Move the escrow identity file offline (e.g. a USB key in the safe) and delete it here.");
    println!("  !! It is the only key that opens every case if all officers lose theirs.");
    let secrets = setup::load_secrets(paths)?;
    let audit_key = audit::AuditKey::anchored(secrets.audit_key.clone(), &settings.server.data_dir);
    let ctx = staff_context(store, settings, clock, &secrets, &audit_key);
    let roles = Roles::new([Role::Administrator]);
    let admin = Username::parse("admin").context("username")?;
    let credentials = staff_accounts::create(
        &ctx,
        &staff_accounts::NewStaff {
            username: &admin, display_name: "ผู้ดูแลระบบ", roles: &roles, email: None
        },
    )
    .await?;
    hand_over_credentials(&credentials, &settings.server.data_dir)?;
    Ok(())
}

/// The first administrator's credentials: on a terminal they are printed once; otherwise (a
/// service manager keeps standard output in its journal) they go to a 0600 file whose path alone
/// is printed.
fn hand_over_credentials(c: &Credentials, data_dir: &std::path::Path) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        println!("\nFirst administrator, shown once (sign in at /staff/login):");
        print_credentials(c);
        return Ok(());
    }
    let path = rongrian::setup::write_first_administrator_file(data_dir, c)?;
    println!(
        "\nFirst administrator: credentials written to {} (mode 0600); it is deleted at the first sign-in.",
        path.display()
    );
    Ok(())
}

fn staff_context<'a>(
    store: &'a Store,
    settings: &'a Settings,
    clock: &'a Clock,
    secrets: &'a setup::Secrets,
    audit_key: &'a audit::AuditKey,
) -> AdminContext<'a> {
    AdminContext {
        store,
        settings,
        clock,
        pepper_key: &secrets.password_pepper,
        totp_key: &secrets.totp_key,
        audit_key,
        actor: "cli",
    }
}

/// Prints what a new account needs once; it is not stored anywhere in the clear.
fn print_credentials(c: &Credentials) {
    println!("  username:     {}", c.username);
    println!("  password:     {}", c.password.as_str());
    println!("  TOTP secret:  {}", c.totp_secret_base32.as_str());
    println!("  TOTP URI:     {}", c.totp_url.as_str());
}

async fn users(ctx: &AdminContext<'_>, action: UsersAction) -> anyhow::Result<()> {
    let parse_user = |u: &str| Username::parse(u).context("usernames are 3-32 of a-z, 0-9, '.', '_', '-'");
    match action {
        UsersAction::Add { username, name, email, roles } => {
            let username = parse_user(&username)?;
            let roles = roles
                .iter()
                .map(|r| Role::from_code(r).with_context(|| format!("unknown role `{r}`")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let roles = Roles::new(roles);
            let credentials = staff_accounts::create(
                ctx,
                &staff_accounts::NewStaff {
                    username: &username,
                    display_name: &name,
                    roles: &roles,
                    email: email.as_deref(),
                },
            )
            .await?;
            println!("created {} ({})", username.as_str(), roles.stored());
            print_credentials(&credentials);
            println!("At the first sign-in the holder sets their own password and gets a new TOTP secret;");
            println!(
                "grant units after that with `rongrian users grant` (identity custodians: `users grant-custody`)."
            );
        }
        UsersAction::Grant { username, units, escrow_identity } => {
            let username = parse_user(&username)?;
            let escrow = read_identity_file(&escrow_identity)?;
            for unit in &units {
                staff_accounts::grant_with_escrow(ctx, &username, unit, &escrow).await?;
            }
            println!("granted {} to {}", units.join(", "), username.as_str());
        }
        UsersAction::GrantCustody { username, escrow_identity } => {
            let username = parse_user(&username)?;
            let escrow = read_identity_file(&escrow_identity)?;
            rongrian::staff::custody::grant_with_escrow(ctx, &username, &escrow).await?;
            println!("granted the identity-custody key to {}", username.as_str());
        }
        UsersAction::Disable { username } => {
            let username = parse_user(&username)?;
            let revoked = staff_accounts::disable(ctx, &username).await?;
            println!(
                "disabled {} and ended its sessions; revoked units: {}",
                username.as_str(),
                revoked.join(", ")
            );
        }
        UsersAction::Reset { username } => {
            let username = parse_user(&username)?;
            let (credentials, revoked) = staff_accounts::reset(ctx, &username).await?;
            println!("reset {}", username.as_str());
            print_credentials(&credentials);
            if !revoked.is_empty() {
                println!(
                    "These unit grants were revoked with the old key and must be renewed: {}",
                    revoked.join(", ")
                );
            }
        }
    }
    Ok(())
}
