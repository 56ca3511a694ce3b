//! 户籍维护: the register kept up to date through the API and the pages — a person registered in
//! a household (numbered by Cordon, checked for duplicates), moved, their phone changed, marked
//! deceased and back again — each change in the person's history and the areas' counts, and the
//! refusals a clerk meets: outside their areas, a second death, a repeated ID number, bad fields.

use chrono::Datelike;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Server, first_household, import_file, import_people, on_both_backends};

/// The community the demo's 网格员 (gongzhufu) keeps.
const COMMUNITY: &str = "150102001001";
/// 公主府街道's next community, outside it.
const NEXT_COMMUNITY: &str = "150102001002";

/// A valid ID number of a man born on 1 January 1980.
fn id_number_1980() -> String {
    let first17 = "15010219800101123";
    format!("{first17}{}", cordon_domain::IdNumber::check_char(first17.as_bytes()))
}

async fn residents(s: &Server, token: &str, code: &str) -> (i64, i64) {
    let (status, a) = s.get(token, &format!("/api/v1/areas/{code}")).await;
    assert_eq!(status, 200, "{a}");
    (a["area"]["residents"].as_i64().unwrap(), a["area"]["households"].as_i64().unwrap())
}

/// Another household of the same building as `household`.
async fn neighbour(s: &Server, token: &str, household: &str) -> String {
    let (_, h) = s.get(token, &format!("/api/v1/areas/{household}")).await;
    let building = h["area"]["parent"].as_str().unwrap().to_owned();
    let (_, b) = s.get(token, &format!("/api/v1/areas/{building}")).await;
    let children = b["children"].as_array().unwrap();
    let other = children.iter().find(|c| c["code"] != household).expect("a building of two households");
    other["code"].as_str().unwrap().to_owned()
}

fn error_of(body: &Value) -> (&str, &str) {
    (body["error"]["code"].as_str().unwrap_or(""), body["error"]["message"].as_str().unwrap_or(""))
}

async fn kept_through_the_api(s: &Server) {
    let grid = s.login("gongzhufu").await;
    let (home, _) = first_household(s, &grid, COMMUNITY).await;
    let next_door = neighbour(s, &grid, &home).await;
    let before = residents(s, &grid, COMMUNITY).await;
    let this_year = chrono::Utc::now().year();

    // A newborn registered at the door: numbered by Cordon, counted at once.
    let baby = json!({ "household": home, "name": "王小宝", "birth_year": this_year, "sex": "男",
        "tags": [], "reason": "新生儿" });
    let (status, made) = s.call(Method::POST, &grid, "/api/v1/people", Some(baby.clone())).await;
    assert_eq!(status, 201, "{made}");
    let id = made["person_id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("R-"), "{id}");
    assert_eq!((made["status"].as_str(), made["household"].as_str()), (Some("active"), Some(home.as_str())));
    assert_eq!(residents(s, &grid, COMMUNITY).await, (before.0 + 1, before.1));

    // The same name and birth year in the household: shown, and registered only when confirmed.
    let (status, body) = s.call(Method::POST, &grid, "/api/v1/people", Some(baby.clone())).await;
    assert_eq!(status, 409, "{body}");
    assert!(error_of(&body).1.contains(&id), "{body}");
    let mut twin = baby.clone();
    twin["not_a_duplicate"] = json!(true);
    let (status, made_twin) = s.call(Method::POST, &grid, "/api/v1/people", Some(twin)).await;
    assert_eq!(status, 201, "{made_twin}");
    assert_ne!(made_twin["person_id"], made["person_id"]);

    // An ID number is one person: a second entry is refused even when "confirmed".
    let adult = json!({ "household": next_door, "name": "李建国", "birth_year": 1980, "sex": "male",
        "id_number": id_number_1980(), "phone": "13900001111", "reason": "新迁入" });
    let (status, adult_made) = s.call(Method::POST, &grid, "/api/v1/people", Some(adult.clone())).await;
    assert_eq!(status, 201, "{adult_made}");
    let adult_id = adult_made["person_id"].as_str().unwrap().to_owned();
    let mut again = adult.clone();
    again["not_a_duplicate"] = json!(true);
    again["name"] = json!("李建军");
    let (status, body) = s.call(Method::POST, &grid, "/api/v1/people", Some(again)).await;
    assert_eq!(status, 409, "{body}");
    assert!(error_of(&body).1.contains("ID number is already registered"), "{body}");

    // Bad fields, each named; a household outside the clerk's areas is as unknown as none.
    let admin = s.login("admin").await;
    let (elsewhere, _) = first_household(s, &admin, NEXT_COMMUNITY).await;
    let cases = [
        (json!({ "household": elsewhere, "name": "甲", "birth_year": 1990, "sex": "f" }), 404, ""),
        (json!({ "household": "999999999999999999", "name": "甲", "birth_year": 1990, "sex": "f" }), 404, ""),
        (json!({ "household": home, "name": "甲", "birth_year": 1700, "sex": "f" }), 422, "birth_year"),
        (json!({ "household": home, "name": "", "birth_year": 1990, "sex": "f" }), 422, "name"),
        (
            json!({ "household": home, "name": "甲", "birth_year": 1990, "sex": "f", "phone": "12" }),
            422,
            "phone",
        ),
        (
            json!({ "household": home, "name": "甲", "birth_year": 1991, "sex": "m", "id_number": id_number_1980() }),
            422,
            "birth_year",
        ),
        (
            json!({ "household": home, "name": "甲", "birth_year": 1990, "sex": "f", "tags": ["Not A Tag"] }),
            422,
            "tags",
        ),
    ];
    for (body, want, field) in cases {
        let (status, answer) = s.call(Method::POST, &grid, "/api/v1/people", Some(body.clone())).await;
        assert_eq!(status, want, "{body} → {answer}");
        if !field.is_empty() {
            assert_eq!(answer["error"]["field"], field, "{answer}");
        }
    }
    assert_eq!(residents(s, &grid, COMMUNITY).await.0, before.0 + 3, "nothing half-written");
    let cadre = s.login("cadre").await;
    let (status, _) = s.call(Method::POST, &cadre, "/api/v1/people", Some(baby.clone())).await;
    assert_eq!(status, 403, "a gate cadre does not keep the register");

    // A move next door, a new phone, a death recorded, refused twice, undone.
    let person = format!("/api/v1/people/{adult_id}");
    let patch = |body: Value| s.call(Method::PATCH, &grid, &person, Some(body));
    let (status, moved) = patch(json!({ "household": home, "reason": "搬到隔壁" })).await;
    assert_eq!((status, moved["household"].as_str()), (200, Some(home.as_str())), "{moved}");
    let (status, body) = patch(json!({ "household": elsewhere, "reason": "迁往回民区" })).await;
    assert_eq!(status, 404, "a move out of the clerk's areas: {body}");
    let (status, body) = patch(json!({ "phone": "13900002222" })).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("reason")), "{body}");
    let (status, _) = patch(json!({ "phone": "13900002222", "reason": "换号" })).await;
    assert_eq!(status, 200);
    let (_, found) = s.get(&grid, "/api/v1/people?q=13900002222").await;
    assert_eq!(found["people"][0]["person_id"], adult_id.as_str(), "found by the new number: {found}");
    let (_, found) = s.get(&grid, "/api/v1/people?q=13900001111").await;
    assert_eq!(found["people"], json!([]), "not by the old one");

    let counted = residents(s, &grid, COMMUNITY).await;
    let (status, dead) = patch(json!({ "status": "deceased", "reason": "病故" })).await;
    assert_eq!((status, dead["status"].as_str()), (200, Some("deceased")), "{dead}");
    assert_eq!(residents(s, &grid, COMMUNITY).await.0, counted.0 - 1, "no longer counted");
    let (status, body) = patch(json!({ "status": "deceased", "reason": "再次登记死亡" })).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("status")), "{body}");
    assert!(error_of(&body).1.contains("already deceased"), "{body}");
    let (status, alive) = patch(json!({ "status": "active", "reason": "误登记，更正" })).await;
    assert_eq!((status, alive["status"].as_str()), (200, Some("active")));
    assert_eq!(residents(s, &grid, COMMUNITY).await, counted, "counted again");

    // The history: every change with who and why, newest first; never a phone number.
    let (status, history) = s.get(&grid, &format!("{person}/history")).await;
    assert_eq!(status, 200, "{history}");
    let lines: Vec<(&str, &str)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["change"].as_str().unwrap(), l["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        lines,
        [
            ("status", "误登记，更正"),
            ("status", "病故"),
            ("phone", "换号"),
            ("household", "搬到隔壁"),
            ("registered", "新迁入")
        ]
    );
    assert!(history.as_array().unwrap().iter().all(|l| l["by"] == "gongzhufu"));
    assert!(!history.to_string().contains("1390000"), "{history}");

    // Every attempt touched the person, refused or not: on the audit of reads.
    let (_, audit) = s.get(&admin, &format!("/api/v1/audit/reads?person_id={adult_id}&limit=100")).await;
    let patches = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["route"] == "PATCH /api/v1/people/{id}" && e["username"] == "gongzhufu")
        .count();
    assert!(patches >= 7, "{audit}");

    // Outside the clerk's areas, a person is unknown; an import may not take Cordon's ids.
    let (_, theirs) = first_household(s, &admin, NEXT_COMMUNITY).await;
    let (status, _) = s
        .call(
            Method::PATCH,
            &grid,
            &format!("/api/v1/people/{}", theirs[0]),
            Some(json!({ "status": "deceased", "reason": "x" })),
        )
        .await;
    assert_eq!(status, 404);
    let csv = format!(
        "person_id,name,id_number,phone,birth_year,sex,household_code,tags\nR-99999999,赵六,,,1970,男,{home},\n"
    );
    let (landed, stderr) = import_people(s, &csv);
    assert!(!landed, "{stderr}");
    assert!(stderr.contains("people.csv:2:1 (person_id)") && stderr.contains("R-99999999"), "{stderr}");
    // Every bad row of every kind in one pass: a bad year and an unknown household together.
    let csv = format!(
        "person_id,name,id_number,phone,birth_year,sex,household_code,tags\n\
         X1,钱七,,,1980,男,{home},\nX2,孙八,,,19x0,男,{home},\nX3,周九,,,1970,女,999999999,\n"
    );
    let (landed, stderr) = import_people(s, &csv);
    assert!(!landed, "{stderr}");
    let (year, household) = (stderr.find("people.csv:3:5 (birth_year)"), stderr.find("people.csv:4"));
    assert!(year.is_some() && household.is_some() && year < household, "both, in line order: {stderr}");
    assert!(stderr.contains("2 bad rows"), "{stderr}");

    // The areas importer too: a level misspelt and a parent unknown, both named, nothing landed.
    let areas = "code,parent_code,level,name\n150102001001901,150102001001,compound,新苑\n\
                 150102001001902,150102999999,compound,旧苑\n150102001001903,150102001001,compnd,错苑\n";
    let (landed, stderr) = import_file(s, "areas", areas);
    assert!(!landed, "{stderr}");
    let (parent, level) = (stderr.find("areas.csv:3:2 (parent_code)"), stderr.find("areas.csv:4:3 (level)"));
    assert!(parent.is_some() && level.is_some() && parent < level, "both, in line order: {stderr}");
    let (_, made) = s.get(&s.login("admin").await, "/api/v1/areas/150102001001901").await;
    assert_eq!(made["error"]["code"], "not_found", "nothing landed: {made}");

    // And the samples importer: someone unregistered, a time that is no time, a round unknown.
    let samples = format!(
        "tube_id,person_id,collected_at,round_id,site\nOP1,NOBODY,2026-12-05T08:00:00+08:00,{round},x\n\
         OP2,{first},no-time,{round},x\nOP3,{first},2026-12-05T08:00:00+08:00,NOROUND,x\n",
        round = round_key(s).await,
        first = s.get(&s.login("admin").await, "/api/v1/rounds/1/sweep?limit=1").await.1["people"][0]["person_id"]
            .as_str()
            .unwrap()
    );
    let (landed, stderr) = import_file(s, "samples", &samples);
    assert!(!landed, "{stderr}");
    let found: Vec<Option<usize>> =
        ["samples.csv:2 (person_id)", "samples.csv:3:3 (collected_at)", "samples.csv:4 (round_id)"]
            .iter()
            .map(|w| stderr.find(w))
            .collect();
    assert!(
        found.iter().all(Option::is_some) && found.windows(2).all(|w| w[0] < w[1]),
        "all three in order: {stderr}"
    );
}

/// The demo round's key, as samples files name it.
async fn round_key(s: &Server) -> String {
    let (_, r) = s.get(&s.login("admin").await, "/api/v1/rounds/1").await;
    r["round"]["round_key"].as_str().unwrap().to_owned()
}

/// The deceased and the moved out leave the sweep: the list is of who lives there.
async fn left_the_sweep(s: &Server) {
    let admin = s.login("admin").await;
    let (status, sweep) = s.get(&admin, "/api/v1/rounds/1/sweep?limit=1000").await;
    assert_eq!(status, 200, "{sweep}");
    let first = sweep["people"][0]["person_id"].as_str().expect("someone to sweep").to_owned();
    let total = sweep["total"].as_i64().unwrap();
    let gone = json!({ "status": "moved_out", "reason": "随子女迁往外地" });
    let (status, body) = s.call(Method::PATCH, &admin, &format!("/api/v1/people/{first}"), Some(gone)).await;
    assert_eq!(status, 200, "{body}");
    let (_, sweep) = s.get(&admin, "/api/v1/rounds/1/sweep?limit=1000").await;
    let listed = sweep["people"].as_array().unwrap().iter().any(|p| p["person_id"] == first.as_str());
    assert!(!listed, "moved out, not knocked for");
    assert_eq!(sweep["total"].as_i64().unwrap(), total - 1, "{}", sweep["total"]);
}

/// The pages: the registration form (again with the look-alike when the entry may repeat one),
/// the person's page with its forms and history.
async fn kept_from_the_pages(s: &Server) {
    let grid = s.login("gongzhufu").await;
    let (home, _) = first_household(s, &grid, COMMUNITY).await;
    let web = s.web_login("gongzhufu").await;
    let area = web.get(format!("{}/areas/{home}", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(area.contains(&format!("/people/new?household={home}")), "{area:.3000}");
    let form_page = web.get(format!("{}/people/new?household={home}", s.base)).send().await.unwrap();
    assert_eq!(form_page.status(), 200);
    assert!(form_page.text().await.unwrap().contains(&format!("value=\"{home}\"")));

    let csrf = s.csrf(&web).await;
    let form = [
        ("csrf", csrf.as_str()),
        ("household", home.as_str()),
        ("name", "赵小满"),
        ("birth_year", "2015"),
        ("sex", "female"),
        ("phone", ""),
        ("id_number", ""),
        ("tags", "minor_alone"),
        ("reason", "入户发现未登记"),
    ];
    let r = web.post(format!("{}/people/new", s.base)).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/people/R-"), "{to}");
    let page = web.get(format!("{}{to}", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("赵小满") && page.contains("id=\"keep\"") && page.contains("入户发现未登记"),
        "{page:.4000}"
    );

    // The same again: the form comes back with the entry to look at and the box to confirm.
    let r = web.post(format!("{}/people/new", s.base)).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 409);
    let again = r.text().await.unwrap();
    assert!(again.contains("id=\"look-alikes\"") && again.contains(&to) && again.contains("not_a_duplicate"));

    let change = [("csrf", csrf.as_str()), ("status", "moved_out"), ("reason", "随父母迁往外地")];
    let r = web.post(format!("{}{to}/change", s.base)).form(&change).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let page = web.get(format!("{}{to}", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("id=\"standing-note\"") && page.contains("已迁出") && page.contains("随父母迁往外地")
    );

    // A cadre has neither the form nor the forms of a person's page.
    let cadre = s.web_login("cadre").await;
    assert_eq!(cadre.get(format!("{}/people/new", s.base)).send().await.unwrap().status(), 403);
}

on_both_backends!(kept_through_the_api, left_the_sweep, kept_from_the_pages);
