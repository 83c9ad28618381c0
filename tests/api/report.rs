//! The annual report from a fixture with known answers: cases on 30 September and 1 October, a
//! case from the year before concluded in this one, a case not accepted, an overdue acknowledgement.
use crate::helpers::{Db, TestApp, spawn};
use crate::on_both_databases;
use rongrian::domain::complaint::Channel;
use rongrian::domain::staff::Role;
use rongrian::domain::submission::{Submission, SubmissionInput};
use rongrian::intake::{Filing, file};
use time::macros::{date, datetime};

async fn case(
    app: &TestApp,
    track: &str,
    category: &str,
    channel: Channel,
    received: time::Date,
    anonymous: bool,
) -> String {
    let input = SubmissionInput {
        track: track.into(),
        category: category.into(),
        subject: "เรื่องทดสอบรายงาน".into(),
        description: "รายละเอียด".into(),
        relationship: "witness".into(),
        reporter: (!anonymous).then(|| rongrian::domain::submission::ReporterInput {
            name: "ผู้ร้อง".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let submission = Submission::parse(&input, &app.state.settings.unit_codes()).expect("valid");
    let receipt = file(
        &app.state,
        &submission,
        &Filing {
            channel,
            form_nonce: None,
            received_on: Some(received),
            actor: "test",
            files: &[],
            files_unit: "",
        },
    )
    .await
    .expect("filed");
    receipt.reference.to_string()
}

// One fixture row per call reads best with the columns in order.
#[allow(clippy::too_many_arguments)]
async fn set(
    app: &TestApp,
    reference: &str,
    status: &str,
    ack: Option<&str>,
    closed: Option<&str>,
    outcome: Option<&str>,
    agency: Option<&str>,
    reason: Option<&str>,
) {
    sqlx::query(
        "UPDATE cases SET status = $1, acknowledged_on = $2, closed_on = $3, outcome = $4, referred_to = $5, \
         rejection_reason = $6 WHERE reference = $7",
    )
    .bind(status.to_owned())
    .bind(ack.map(str::to_owned))
    .bind(closed.map(str::to_owned))
    .bind(outcome.map(str::to_owned))
    .bind(agency.map(str::to_owned))
    .bind(reason.map(str::to_owned))
    .bind(reference.to_owned())
    .execute(app.state.store.pool())
    .await
    .expect("update");
}

/// Builds the fixture: six cases of fiscal year 2569, one of 2568 and one of 2570.
pub async fn fixture(app: &TestApp) {
    let a = case(app, "corruption", "bribery", Channel::Online, date!(2025 - 09 - 30), true).await;
    set(app, &a, "concluded", Some("2025-10-02"), Some("2025-10-20"), Some("unsubstantiated"), None, None)
        .await;
    let b = case(app, "corruption", "bribery", Channel::Online, date!(2025 - 10 - 01), true).await;
    set(app, &b, "concluded", Some("2025-10-10"), Some("2025-12-15"), Some("substantiated"), None, None)
        .await;
    let c = case(app, "general", "infrastructure", Channel::WalkIn, date!(2026 - 01 - 05), false).await;
    set(app, &c, "in_progress", Some("2026-01-30"), None, None, None, None).await;
    let d = case(app, "corruption", "procurement", Channel::Letter, date!(2026 - 03 - 02), false).await;
    set(app, &d, "not_accepted", None, Some("2026-03-05"), None, None, Some("in_court")).await;
    let e = case(app, "general", "nuisance", Channel::Online, date!(2026 - 09 - 30), true).await;
    let f = case(app, "corruption", "abuse_of_power", Channel::Online, date!(2026 - 05 - 04), true).await;
    let g = case(app, "corruption", "embezzlement", Channel::Online, date!(2026 - 06 - 01), true).await;
    set(app, &g, "concluded", Some("2026-06-02"), Some("2026-07-01"), Some("referred"), Some("nacc"), None)
        .await;
    let h = case(app, "general", "service_quality", Channel::Online, date!(2026 - 10 - 01), true).await;
    // A case of the year before, still open: the backlog.
    let z = case(app, "general", "nuisance", Channel::Phone, date!(2025 - 08 - 01), false).await;
    assert!(z.starts_with("2568-"));
    assert!(
        a.starts_with("2568-") && b.starts_with("2569-") && e.starts_with("2569-") && h.starts_with("2570-")
    );
    assert!(c.starts_with("2569-") && f.starts_with("2569-"));
}

pub async fn admin_session(app: &TestApp) -> crate::helpers::StaffSession {
    let admin = app.create_officer("boss", &[Role::Administrator], &[]).await;
    app.login(&app.client, &admin).await
}

async fn the_figures_of_a_fiscal_year_are_exact(db: Db) {
    let Some(app) = spawn(db, |s| s.limits.browse.burst = 1000).await else { return };
    fixture(&app).await;
    // Measures: the example year copied forward, and one link made by hand (the letter to measure 4).
    rongrian::report::measures_file::import_example_if_missing(
        &app.state.store,
        &app.state.settings,
        &app.changer(),
    )
    .await
    .expect("example");
    let fy = |y| rongrian::domain::fiscal_year::FiscalYear::from_be(y).expect("year");
    rongrian::report::measures_file::copy_forward(&app.state.store, fy(2568), fy(2569), &app.changer())
        .await
        .expect("copy");
    let intake = app.create_officer("intake", &[Role::IntakeOfficer], &["palad"]).await;
    let s = app.login(&app.client, &intake).await;
    let letter: String = {
        use sqlx::Row;
        sqlx::query("SELECT reference FROM cases WHERE channel = 'letter'")
            .fetch_one(app.state.store.pool())
            .await
            .expect("letter")
            .try_get(0)
            .expect("ref")
    };
    let r = app
        .staff_post(&app.client, &s, &format!("/staff/cases/{letter}/measures"), &[("measure", "4")])
        .await;
    assert_eq!(r.status(), 303);

    // The year is over: the report is final.
    let to_november = datetime!(2026-11-02 09:00 +7) - app.clock.now_utc();
    app.clock.advance(to_november.unsigned_abs());
    let a = admin_session(&app).await;
    let r = app
        .staff_get(
            &app.client,
            &a,
            "/staff/admin/reports/download?fy=2569&section=full&format=json&numerals=thai",
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"].to_str().expect("ascii").contains("rongrian-2569-full.json"));
    let json: serde_json::Value = r.json().await.expect("json");
    let f = &json["figures"];
    assert_eq!(f["received"], 6);
    assert_eq!(f["by_track"]["corruption"], 4);
    assert_eq!(f["by_track"]["general"], 2);
    assert_eq!(f["by_channel"]["online"], 4);
    assert_eq!(f["by_channel"]["walk_in"], 1);
    assert_eq!(f["by_channel"]["letter"], 1);
    assert_eq!((f["anonymous"].as_u64(), f["identified"].as_u64()), (Some(4), Some(2)));
    assert_eq!(f["acknowledged_on_time"], 3);
    assert_eq!(f["acknowledged_late"], 1);
    assert_eq!(f["unacknowledged_overdue"], 1, "the case of 4 May was never acknowledged");
    assert_eq!(f["acknowledged_on_time_percent"], 60.0, "3 on time of the 5 whose acknowledgement was due");
    assert_eq!(f["median_days_to_acknowledge"], 6.0);
    assert_eq!(f["median_days_to_conclude"], 52.5);
    assert_eq!(f["concluded"], 2);
    assert_eq!(f["concluded_by_outcome"]["substantiated"], 1);
    assert_eq!(f["concluded_by_outcome"]["referred"], 1);
    assert_eq!(f["referred_by_agency"]["nacc"], 1);
    assert_eq!(f["not_accepted_by_reason"]["in_court"], 1);
    assert_eq!(f["in_progress_at_year_end"], 3);
    assert_eq!(f["carried_over_closed"], 1, "the case of 30 September 2025 closed in October");
    assert_eq!(f["carried_over_open"], 1, "the case of August 2025 still open");
    assert_eq!(f["year_complete"], true);
    let month = |i: usize, track: &str| {
        let m = &f["months"][i][track];
        (m["received"].as_u64(), m["concluded"].as_u64(), m["in_progress"].as_u64())
    };
    assert_eq!(month(0, "corruption"), (Some(1), Some(0), Some(1)), "October 2025");
    assert_eq!(month(2, "corruption"), (Some(0), Some(1), Some(0)), "December 2025");
    assert_eq!(month(11, "general"), (Some(1), Some(0), Some(2)), "September 2026");
    let h2 = &f["halves"][1];
    assert_eq!(h2["corruption"]["received"], 2);
    assert_eq!(h2["corruption"]["concluded"], 1);
    assert_eq!(h2["corruption"]["in_progress"], 1);
    let linked = |n: u64| {
        f["measures"]
            .as_array()
            .expect("measures")
            .iter()
            .find(|m| m["number"] == n)
            .map(|m| m["linked_cases"].clone())
    };
    assert_eq!(linked(5), Some(4.into()), "online reports evidence the online-channel measure");
    assert_eq!(linked(4), Some(1.into()), "the officer's link");
    assert_eq!(linked(1), Some(0.into()));

    // The protection section in Thai official style, Thai numerals by default.
    let r = app
        .staff_get(
            &app.client,
            &a,
            "/staff/admin/reports/download?fy=2569&section=protection&format=html&numerals=thai",
        )
        .await;
    let html = r.text().await.expect("html");
    for text in [
        "มาตรการคุ้มครองและปกปิดข้อมูลผู้แจ้งเบาะแส ประจำปีงบประมาณ พ.ศ. ๒๕๖๙",
        "ผลการดำเนินการ (output)",
        "ผลลัพธ์หรือผลสัมฤทธิ์ (outcome)",
        "ทางช่องทางออนไลน์ ๔ เรื่อง",
        "(ร้อยละ ๖๐.๐๐)",
        "ข้อมูลทั้งปีงบประมาณ ณ วันที่ ๓๐ กันยายน ๒๕๖๙",
        "๑ ตุลาคม ๒๕๖๘",
        "<svg",
    ] {
        assert!(html.contains(text), "protection section lacks `{text}`");
    }
    assert!(!html.contains("2569-0"), "no case reference in the report");
    let r = app
        .staff_get(
            &app.client,
            &a,
            "/staff/admin/reports/download?fy=2569&section=statistics&format=html&numerals=arabic",
        )
        .await;
    assert!(r.text().await.expect("html").contains("ตุลาคม 2568"), "Arabic numerals on request");

    let csv = app
        .staff_get(&app.client, &a, "/staff/admin/reports/download?fy=2569&section=statistics&format=csv")
        .await;
    let csv = csv.text().await.expect("csv");
    assert!(csv.contains("2025-10,2025-10-01,2025-10-31,1,0,1,0,0,0"), "{csv}");
    assert!(csv.contains("H2,2026-04-01,2026-09-30,2,1,1,1,0,2"), "{csv}");

    let bad = app
        .staff_get(&app.client, &a, "/staff/admin/reports/download?fy=99999&section=full&format=json")
        .await;
    assert_eq!(bad.status(), 400);
    let bad =
        app.staff_get(&app.client, &a, "/staff/admin/reports/download?fy=2569&section=all&format=json").await;
    assert_eq!(bad.status(), 400);
    let s = app.login(&app.client, &intake).await;
    let officer = app
        .staff_get(&app.client, &s, "/staff/admin/reports/download?fy=2569&section=full&format=json")
        .await;
    assert_eq!(officer.status(), 404, "administrators only");
}

async fn the_public_statistics_need_no_login_and_show_no_case(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    fixture(&app).await;
    let r = app.client.get(app.url("/statistics?fy=2569")).send().await.expect("get");
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-security-policy"].to_str().expect("ascii").contains("default-src 'none'"));
    let html = r.text().await.expect("html");
    assert!(html.contains("สถิติเรื่องร้องเรียน ประจำปีงบประมาณ พ.ศ. ๒๕๖๙"));
    // The test clock is on 16 March 2026: the public page stops at the end of February.
    assert!(html.contains("ข้อมูล ณ วันที่ ๒๘ กุมภาพันธ์ ๒๕๖๙"), "figures to the last completed month");
    assert!(html.contains("<td>มีนาคม ๒๕๖๙</td><td class=\"n\">-</td>"), "no figures for the running month");
    assert!(
        html.contains("<td>ตุลาคม ๒๕๖๘</td><td class=\"n\">๑</td>"),
        "October 2025: one corruption report"
    );
    assert!(
        !html.contains("2569-0") && !html.contains("bribery") && !html.contains("walk_in"),
        "no detail that singles out a case"
    );
    let r = app.client.get(app.url("/statistics?fy=2570")).send().await.expect("get");
    assert!(r.text().await.expect("html").contains("เรื่องร้องเรียนการทุจริตและประพฤติมิชอบ: ไม่มีเรื่องร้องเรียน"));
    let r = app.client.get(app.url("/statistics?fy=abc")).send().await.expect("get");
    assert_eq!(r.status(), 400);
}

async fn measures_are_edited_checked_against_their_year_and_copied_forward(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    rongrian::report::measures_file::import_example_if_missing(
        &app.state.store,
        &app.state.settings,
        &app.changer(),
    )
    .await
    .expect("example");
    let a = admin_session(&app).await;
    let page =
        app.staff_get(&app.client, &a, "/staff/admin/measures?fy=2568").await.text().await.expect("html");
    assert!(page.contains("การเผยแพร่ช่องทางการร้องเรียน"), "the seed's measure 5");
    // A period from another fiscal year is refused, as the seed's own "ตุลาคม ๒๕๖๘ – กันยายน ๒๕๖๙" would be.
    let r = app
        .staff_post(
            &app.client,
            &a,
            "/staff/admin/measures",
            &[
                ("fy", "2568"),
                ("action", "save"),
                ("number", "5"),
                ("title", "x"),
                ("period_start", "2025-10-01"),
                ("period_end", "2026-09-30"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422, "the same page comes back, not a bare error page");
    let html = r.text().await.expect("html");
    assert!(
        html.contains("บันทึกมาตรการไม่ได้") && html.contains("staff-nav"),
        "the message on the measures page"
    );
    assert!(html.contains("value=\"2025-10-01\""), "the typed period is kept in its measure's form");
    let r = app
        .staff_post(
            &app.client,
            &a,
            "/staff/admin/measures",
            &[
                ("fy", "2568"),
                ("action", "save"),
                ("number", "8"),
                ("title", "มาตรการใหม่"),
                ("output", "รับเรื่อง {received} เรื่อง"),
                ("flag", "reporter_protection"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .staff_post(
            &app.client,
            &a,
            "/staff/admin/measures",
            &[("fy", "2568"), ("action", "copy"), ("to", "2569")],
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .staff_post(
            &app.client,
            &a,
            "/staff/admin/measures",
            &[("fy", "2568"), ("action", "copy"), ("to", "2569")],
        )
        .await;
    assert_eq!(r.status(), 409, "a year that has measures is not overwritten");
    let mut conn = app.state.store.pool().acquire().await.expect("conn");
    let copied = rongrian::storage::measures::for_year(
        &mut conn,
        rongrian::domain::fiscal_year::FiscalYear::from_be(2569).expect("fy"),
    )
    .await
    .expect("measures");
    assert_eq!(copied.len(), 8);
    assert_eq!(copied[0].1.period_start, date!(2025 - 10 - 01), "the period moved to the new year");
    let html = app
        .staff_get(&app.client, &a, "/staff/admin/reports/download?fy=2569&section=protection&format=html")
        .await;
    assert!(
        html.text().await.expect("html").contains("รับเรื่อง ๐ เรื่อง"),
        "placeholders are filled from the figures"
    );
}

on_both_databases!(
    the_figures_of_a_fiscal_year_are_exact,
    the_public_statistics_need_no_login_and_show_no_case,
    measures_are_edited_checked_against_their_year_and_copied_forward,
);
