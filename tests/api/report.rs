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
    // An anonymous letter: all channels have one more anonymous case than the online channel.
    let d = case(app, "corruption", "procurement", Channel::Letter, date!(2026 - 03 - 02), true).await;
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
    assert_eq!((f["anonymous"].as_u64(), f["identified"].as_u64()), (Some(5), Some(1)));
    // The online split counts the online cases only, not all channels.
    assert_eq!(f["received_online"], 4);
    assert_eq!(f["online_by_track"]["corruption"], 3);
    assert_eq!(f["online_by_track"]["general"], 1);
    assert_eq!(f["online_anonymous"], 4, "the anonymous letter is not online");
    // A first answer that declined the case is not an acknowledgement.
    assert_eq!(f["acknowledged_on_time"], 2);
    assert_eq!(f["not_accepted_on_time"], 1, "the letter of 2 March, declined on 5 March");
    assert_eq!(f["answered_late"], 1);
    assert_eq!(f["unanswered_overdue"], 1, "the case of 4 May was never acknowledged");
    assert_eq!(f["answer_due"], 5);
    assert_eq!(f["answered_on_time_percent"], 60.0, "3 answered on time of the 5 whose answer was due");
    assert_eq!(f["median_days_to_acknowledge"], 9.0, "acknowledgements after 9, 25 and 1 days");
    assert_eq!(f["median_days_to_conclude"], 30.0, "concluded in the year after 20, 75 and 30 days");
    // Closings are counted on their day, whatever year the case came in.
    assert_eq!(f["brought_forward"], 2, "open on 1 October 2025: the cases of August and 30 September");
    assert_eq!(f["concluded"], 3);
    assert_eq!(f["concluded_by_outcome"]["unsubstantiated"], 1);
    assert_eq!(f["concluded_by_outcome"]["substantiated"], 1);
    assert_eq!(f["concluded_by_outcome"]["referred"], 1);
    assert_eq!(f["referred_by_agency"]["nacc"], 1);
    assert_eq!(f["not_accepted"], 1);
    assert_eq!(f["not_accepted_by_reason"]["in_court"], 1);
    assert_eq!(
        f["in_progress_at_year_end"], 4,
        "2 brought forward + 6 received - 3 concluded - 1 not accepted"
    );
    assert_eq!(f["carried_over_closed"], 1, "the case of 30 September 2025 closed in October");
    assert_eq!(f["carried_over_open"], 1, "the case of August 2025 still open");
    assert_eq!(f["year_complete"], true);
    assert_eq!(f["as_of"], "2026-09-30", "ISO dates in JSON");
    assert_eq!(f["months"][0]["first"], "2025-10-01");
    let month = |i: usize, track: &str| {
        let m = &f["months"][i][track];
        [&m["received"], &m["concluded"], &m["not_accepted"], &m["in_progress"]]
            .map(|v| v.as_u64().unwrap_or(99))
    };
    assert_eq!(month(0, "corruption"), [1, 1, 0, 1], "October 2025, the case of 30 September concluded");
    assert_eq!(month(2, "corruption"), [0, 1, 0, 0], "December 2025");
    assert_eq!(month(5, "corruption"), [1, 0, 1, 0], "March 2026: the letter declined is not concluded");
    assert_eq!(month(11, "general"), [1, 0, 0, 3], "September 2026, the August 2025 case still open");
    let h2 = &f["halves"][1];
    assert_eq!(h2["corruption"]["received"], 2);
    assert_eq!(h2["corruption"]["concluded"], 1);
    assert_eq!(h2["corruption"]["in_progress"], 1);
    let year = &f["year"];
    assert_eq!(year["corruption"]["concluded"], 3);
    assert_eq!(year["corruption"]["not_accepted"], 1);
    assert_eq!(year["general"]["in_progress"], 3);
    assert_eq!(
        year["corruption"]["concluded"]
            .as_u64()
            .zip(year["general"]["concluded"].as_u64())
            .map(|(a, b)| a + b),
        f["concluded"].as_u64(),
        "the period table and the summary count the same word the same way"
    );
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
        "ผลลัพธ์หรือผลสัมฤทธิ์ในการดำเนินการ (outcome/result)",
        "มาตรการ/โครงการ/กิจกรรม ที่ดำเนินการเพื่อส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน",
        "รับเรื่องร้องเรียนทุกช่องทางทั้งสิ้น ๖ เรื่อง เป็นเรื่องที่รับทางช่องทางออนไลน์ ๔ เรื่อง \
         (แจ้งเบาะแสการทุจริตและประพฤติมิชอบ ๓ เรื่อง ร้องเรียน/ร้องทุกข์ทั่วไป ๑ เรื่อง) ในจำนวนนี้ผู้แจ้งไม่ประสงค์ออกนาม ๔ เรื่อง",
        "ตอบรับเรื่องภายในระยะเวลาที่กำหนด ๒ เรื่อง และแจ้งไม่รับไว้พิจารณาภายในระยะเวลาที่กำหนด ๑ เรื่อง",
        "(ร้อยละ ๖๐.๐๐)",
        "ดำเนินการแล้วเสร็จ ๓ เรื่อง ไม่รับไว้พิจารณา ๑ เรื่อง และ ณ สิ้นปีงบประมาณ อยู่ระหว่างดำเนินการ ๔ เรื่อง",
        "<td class=\"n\">๙ วัน</td>",
        "<td class=\"n\">๓๐ วัน</td>",
        "ข้อมูลทั้งปีงบประมาณ ณ วันที่ ๓๐ กันยายน ๒๕๖๙",
        "๑ ตุลาคม ๒๕๖๘",
        "“ดำเนินการแล้วเสร็จ” คือ เรื่องที่รับไว้พิจารณาและยุติด้วยผลการพิจารณา",
        "<svg",
    ] {
        assert!(html.contains(text), "protection section lacks `{text}`");
    }
    for wrong in ["ดำเนินการณ", "๐.๐๐ /", "(ร้อยละ -)", "{in_progress}", "{when}"]
    {
        assert!(!html.contains(wrong), "protection section has `{wrong}`");
    }
    assert!(!html.contains("2569-0"), "no case reference in the report");
    let full = app
        .staff_get(&app.client, &a, "/staff/admin/reports/download?fy=2569&section=full&format=html")
        .await
        .text()
        .await
        .expect("html");
    assert!(
        full.contains("(เรื่องร้องเรียนที่เชื่อมโยงกับมาตรการนี้ ๑ เรื่อง)"),
        "the officer's link is printed in measure 4"
    );
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
    assert!(csv.contains("2025-10,2025-10-01,2025-10-31,complete,1,1,0,1,0,0,0,1"), "{csv}");
    assert!(csv.contains("H2,2026-04-01,2026-09-30,complete,2,1,0,1,1,0,0,3"), "{csv}");
    assert!(csv.contains("FY,2025-10-01,2026-09-30,complete,4,3,1,1,2,0,0,3"), "{csv}");

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
    assert!(
        html.contains("<td>มีนาคม ๒๕๖๙ (ยังไม่สิ้นเดือน)</td><td class=\"n\">-</td>"),
        "no figures for the running month, and it says why"
    );
    assert!(html.contains("<td>เมษายน ๒๕๖๙</td><td class=\"n\">-</td>"), "a month to come");
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
    assert_eq!(r.status(), 400);
    let page = r.text().await.expect("html");
    assert!(page.contains("ช่วงระยะเวลาดำเนินการต้องอยู่ภายในปีงบประมาณ พ.ศ. 2568"), "the error in Thai");
    assert!(page.contains("<textarea name=\"title\" rows=\"2\">x</textarea>"), "what was typed is kept");
    // Dates in the Buddhist Era, as officers type them, and shown back the same way.
    let r = app
        .staff_post(
            &app.client,
            &a,
            "/staff/admin/measures",
            &[
                ("fy", "2568"),
                ("action", "save"),
                ("number", "9"),
                ("title", "มาตรการชั่วคราว"),
                ("period_start", "1/1/2568"),
                ("period_end", "๓๑/๓/๒๕๖๘"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.expect("html");
    assert!(page.contains("value=\"1/1/2568\"") && page.contains("value=\"31/3/2568\""), "BE dates shown");
    let r = app
        .staff_post(
            &app.client,
            &a,
            "/staff/admin/measures",
            &[("fy", "2568"), ("action", "delete"), ("number", "9")],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.expect("html").contains("ลบมาตรการที่ 9 แล้ว"));
    let deleted: i64 = {
        use sqlx::Row;
        sqlx::query("SELECT COUNT(*) FROM audit_log WHERE action = 'measures.deleted' AND detail = 'fy=2568 deleted=9'")
            .fetch_one(app.state.store.pool())
            .await
            .expect("audit")
            .try_get(0)
            .expect("count")
    };
    assert_eq!(deleted, 1, "the deletion is audited");
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
    // A misspelt placeholder is refused with its name, not saved and printed literally.
    let r = app
        .staff_post(
            &app.client,
            &a,
            "/staff/admin/measures",
            &[
                ("fy", "2568"),
                ("action", "save"),
                ("number", "9"),
                ("title", "มาตรการสะกดผิด"),
                ("outcome", "อยู่ระหว่างดำเนินการ {in_progres} เรื่อง"),
            ],
        )
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.expect("html").contains("in_progres"), "the error names the placeholder");
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
    // Once a report printing the year's measures has been exported, they stay.
    let r = app
        .staff_post(
            &app.client,
            &a,
            "/staff/admin/measures",
            &[("fy", "2569"), ("action", "delete"), ("number", "8")],
        )
        .await;
    assert_eq!(r.status(), 409);
}

/// Mid-year (the test clock stands on 16 March 2026): months to come have no figures, in every
/// format, and the month under way counts to today.
async fn future_periods_are_a_dash_in_every_format(db: Db) {
    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
    let Some(app) = spawn(db, |s| s.limits.browse.burst = 1000).await else { return };
    fixture(&app).await;
    let a = admin_session(&app).await;
    let get = |format: &'static str| {
        let (app, a) = (&app, &a);
        async move {
            let r = app
                .staff_get(
                    &app.client,
                    a,
                    &format!("/staff/admin/reports/download?fy=2569&section=statistics&format={format}"),
                )
                .await;
            assert_eq!(r.status(), 200, "{format}");
            r.bytes().await.expect("bytes").to_vec()
        }
    };
    let csv = String::from_utf8(get("csv").await).expect("utf-8");
    assert!(csv.contains("2026-03,2026-03-01,2026-03-31,running,1,0,1,0,0,0,0,2"), "{csv}");
    assert!(csv.contains("2026-04,2026-04-01,2026-04-30,future,-,-,-,-,-,-,-,-"), "{csv}");
    let json: serde_json::Value = serde_json::from_slice(&get("json").await).expect("json");
    assert_eq!(json["figures"]["months"][6]["state"], "future");
    assert_eq!(json["figures"]["months"][6]["corruption"], serde_json::Value::Null);
    assert_eq!(json["figures"]["as_of"], "2026-03-16");
    let html = String::from_utf8(get("html").await).expect("utf-8");
    assert!(html.contains("มีนาคม ๒๕๖๙ (ถึงวันที่ ๑๖ มีนาคม ๒๕๖๙)"), "the month under way says so");
    let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(get("xlsx").await)).expect("xlsx");
    let stats = book.worksheet_range("สถิติ").expect("sheet");
    assert_eq!(stats.get_value((7, 3)), Some(&Data::String("-".into())), "April 2026 in XLSX");
    assert_eq!(stats.get_value((1, 3)), Some(&Data::Float(1.0)), "October 2025 in XLSX");
    let docx = get("docx").await;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx)).expect("zip");
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").expect("document"), &mut xml)
        .expect("utf-8");
    let april = xml.find("เมษายน ๒๕๖๙").expect("April row");
    let row_end = april + xml[april..].find("</w:tr>").expect("row end");
    assert_eq!(
        xml[april..row_end].matches("<w:t xml:space=\"preserve\">-</w:t>").count(),
        8,
        "April in DOCX"
    );
}

on_both_databases!(
    future_periods_are_a_dash_in_every_format,
    the_figures_of_a_fiscal_year_are_exact,
    the_public_statistics_need_no_login_and_show_no_case,
    measures_are_edited_checked_against_their_year_and_copied_forward,
);
