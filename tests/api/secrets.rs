//! The server's secrets, one job each: the cookie key can be rotated without touching passwords
//! or TOTP, and a data directory whose secrets do not belong to the database refuses to start.
use crate::helpers::{Db, spawn};
use crate::on_both_databases;
use rongrian::domain::staff::Role;
use std::time::Duration;

fn secret(app: &crate::helpers::TestApp, file: &str) -> std::path::PathBuf {
    app.data_dir.join("secrets").join(file)
}

async fn the_cookie_key_rotates_alone_and_foreign_secrets_refuse_to_start(db: Db) {
    let Some(mut app) = spawn(db, |_| {}).await else { return };
    let officer = app.create_officer("somsri", &[Role::IntakeOfficer], &["palad"]).await;
    app.login(&app.client, &officer).await;
    let files: Vec<Vec<u8>> = ["cookie.key", "password-pepper.key", "totp.key"]
        .iter()
        .map(|f| std::fs::read(secret(&app, f)).expect("secret"))
        .collect();
    assert!(files[0] != files[1] && files[1] != files[2] && files[0] != files[2], "three different keys");

    // Rotating the cookie key (deleting it; the start makes a new one) keeps every officer's
    // password, personal key and TOTP working.
    std::fs::remove_file(secret(&app, "cookie.key")).expect("rm");
    app.restart().await.expect("a start with the cookie key rotated");
    assert_ne!(std::fs::read(secret(&app, "cookie.key")).expect("new"), files[0], "a new cookie key");
    app.clock.advance(Duration::from_secs(31));
    app.login(&app.client, &officer).await;

    // The pepper of another installation: the start is refused and names the file.
    let pepper = secret(&app, "password-pepper.key");
    std::fs::remove_file(&pepper).expect("rm");
    rongrian::crypto::keys::write_private_file(
        &pepper,
        rongrian::crypto::keys::new_secret_key_hex().as_bytes(),
    )
    .expect("write");
    let refused = app.restart().await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        refused.contains("do not belong to this database") && refused.contains("password-pepper.key"),
        "{refused}"
    );

    // A missing pepper is not made anew: that would lock every officer out for good.
    std::fs::remove_file(&pepper).expect("rm");
    let refused = app.restart().await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(refused.contains("password-pepper.key is missing") && refused.contains("backup"), "{refused}");
    assert!(!pepper.exists());

    // The right one back: the start succeeds and the officer signs in.
    std::fs::write(&pepper, &files[1]).expect("restore");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pepper, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    app.restart().await.expect("the restored pepper belongs");
    app.clock.advance(Duration::from_secs(31));
    app.login(&app.client, &officer).await;

    // Rotating the TOTP key re-seals every TOTP secret: the officer's authenticator still works.
    app.stop().await;
    let paths = rongrian::setup::DataPaths::new(&app.data_dir);
    let secrets = rongrian::setup::load_secrets(&paths).expect("secrets");
    let key = rongrian::storage::audit::AuditKey::anchored(secrets.audit_key.clone(), &app.data_dir);
    let url = rongrian::setup::database_url(&app.state.settings.server.database_url, &app.data_dir);
    let store = rongrian::storage::Store::connect(&url).await.expect("connect");
    let n =
        rongrian::setup::rotate_totp_key(&store, &paths, &secrets, &app.clock, &key).await.expect("rotate");
    assert_eq!(n, 1, "the one officer's secret");
    assert_ne!(std::fs::read(&paths.totp_key).expect("totp"), files[2], "a new TOTP key");
    assert!(!paths.totp_key.with_extension("key.new").exists());
    store.close().await;
    app.restart().await.expect("the rotated key belongs");
    app.clock.advance(Duration::from_secs(31));
    app.login(&app.client, &officer).await;
    app.stop().await;
}

on_both_databases!(the_cookie_key_rotates_alone_and_foreign_secrets_refuse_to_start);

#[test]
fn a_cookie_key_from_before_the_split_keeps_its_jobs() {
    use rongrian::crypto::keys::{new_secret_key_hex, write_private_file};
    let dir = tempfile::tempdir().expect("tmp");
    let paths = rongrian::setup::DataPaths::new(dir.path());
    std::fs::create_dir_all(&paths.secrets_dir).expect("dir");
    let legacy = new_secret_key_hex();
    write_private_file(&paths.cookie_key, legacy.as_bytes()).expect("cookie");
    write_private_file(&paths.token_hash_key, new_secret_key_hex().as_bytes()).expect("token");
    write_private_file(&paths.audit_key, new_secret_key_hex().as_bytes()).expect("audit");
    let secrets = rongrian::setup::load_secrets(&paths).expect("load");
    // The old single key goes on doing its two other jobs, so passwords and TOTP still open...
    assert_eq!(*secrets.password_pepper, *secrets.cookie_key);
    assert_eq!(*secrets.totp_key, *secrets.cookie_key);
    use std::os::unix::fs::PermissionsExt;
    for file in [&paths.password_pepper, &paths.totp_key] {
        assert_eq!(std::fs::metadata(file).expect("meta").permissions().mode() & 0o777, 0o600);
    }
    // ...and the cookie key can now be rotated alone.
    std::fs::remove_file(&paths.cookie_key).expect("rm");
    let after = rongrian::setup::load_secrets(&paths).expect("load");
    assert_ne!(*after.cookie_key, *secrets.cookie_key);
    assert_eq!(*after.password_pepper, *secrets.password_pepper);
    assert_eq!(*after.totp_key, *secrets.totp_key);
}
