//! 重复登记: one resident registered three times is found by the ID number's blind index, by
//! name and phone, and by name and birth year; merging keeps one entry, fills it, moves the
//! others' records onto it, leaves the counts right, and refuses two people made one.

use reqwest::Method;
use serde_json::json;

use crate::support::{Server, first_household, import_people, on_both_backends};

const ID: &str = "11010519491231002X";
/// Another valid ID number, of another person.
const OTHER_ID: &str = "110105194912310038";
const PHONE: &str = "13912340000";

fn import(s: &Server, csv: &str) {
    let (ok, err) = import_people(s, csv);
    assert!(ok, "{err}");
}

async fn duplicates_found_and_merged(s: &Server) {
    let admin = s.login("admin").await;
    let grid = s.login("gongzhufu").await;
    let (household, _) = first_household(s, &admin, "150102001001").await;
    import(
        s,
        &format!(
            "person_id,name,id_number,phone,birth_year,sex,household_code,tags\n\
             x-dup-1,王重复,{ID},,1949,f,{household},dialysis\n\
             x-dup-2,王重复,,{PHONE},1949,f,{household},\n\
             x-dup-3,王重复,{ID},{PHONE},,u,{household},elderly_alone\n\
             x-dup-4,王重复,{OTHER_ID},,1949,m,{household},\n"
        ),
    );

    // Found, strongest first, each pair once; the ID number is compared by its blind index. (The
    // demo has duplicates of its own; these are the test's.)
    let (status, pairs) = s.get(&grid, "/api/v1/people/duplicates").await;
    assert_eq!(status, 200, "{pairs}");
    let found: Vec<(String, String, String)> = pairs
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["a"]["name"] == "王重复")
        .map(|p| {
            let (a, b) = (p["a"]["person_id"].as_str().unwrap(), p["b"]["person_id"].as_str().unwrap());
            (a.to_owned(), b.to_owned(), p["reason"].as_str().unwrap().to_owned())
        })
        .collect();
    let pair = |a: &str, b: &str, r: &str| (a.to_owned(), b.to_owned(), r.to_owned());
    assert_eq!(
        found,
        [
            pair("x-dup-1", "x-dup-3", "same_id_number"),
            pair("x-dup-2", "x-dup-3", "name_and_phone"),
            pair("x-dup-1", "x-dup-2", "name_and_birth_year"),
        ],
        "x-dup-4's ID number differs from x-dup-1's and x-dup-3's, and he is a man: two people"
    );
    let first = pairs.as_array().unwrap().iter().find(|p| p["a"]["person_id"] == "x-dup-1").unwrap();
    assert_eq!(first["a"]["id_number"], "1101**********002X", "{first}");
    assert!(!pairs.to_string().contains(ID));
    assert_eq!(s.get(&s.login("cadre").await, "/api/v1/people/duplicates").await.0, 403);

    // x-dup-3 has a history: a request raised for them.
    let (status, need) = s
        .call(
            Method::POST,
            &grid,
            "/api/v1/needs",
            Some(json!({"household_code": household, "person_id": "x-dup-3", "category": "medicine", "description": "降压药"})),
        )
        .await;
    assert_eq!(status, 201, "{need}");
    let need_id = need["need"]["id"].as_i64().unwrap();
    let (_, before) = s.get(&admin, "/api/v1/areas/150102001001").await;

    // Merged into x-dup-2, which takes the ID number, the tag and the request.
    let grid_ref = &grid;
    let merge = |keep: &str, dup: &str| {
        let (path, body) = (
            format!("/api/v1/people/{keep}/merge"),
            json!({"duplicate_id": dup, "reason": "同一人，入户核实"}),
        );
        async move { s.call(Method::POST, grid_ref, &path, Some(body)).await }
    };
    let (status, done) = merge("x-dup-2", "x-dup-3").await;
    assert_eq!(status, 200, "{done}");
    assert!(done["moved"].as_str().unwrap().contains("needs 1"), "{done}");
    let (status, kept) = s.get(&grid, "/api/v1/people/x-dup-2").await;
    assert_eq!(status, 200, "{kept}");
    assert_eq!(kept["id_number"], "1101**********002X");
    assert_eq!(kept["phone"], "139****0000");
    assert_eq!(kept["birth_year"], 1949);
    assert!(kept["tags"].to_string().contains("elderly_alone"), "{kept}");
    assert_eq!(kept["merges"][0]["merged_id"], "x-dup-3");
    assert_eq!(kept["merges"][0]["by"], "gongzhufu");
    let (status, gone) = s.get(&grid, "/api/v1/people/x-dup-3").await;
    assert_eq!(status, 404, "{gone}");
    assert_eq!(gone["error"]["code"], "merged");
    assert!(gone["error"]["message"].as_str().unwrap().contains("x-dup-2"), "{gone}");
    let (_, need) = s.get(&grid, &format!("/api/v1/needs/{need_id}")).await;
    assert_eq!(need["need"]["person_id"], "x-dup-2", "{need}");
    let (_, after) = s.get(&admin, "/api/v1/areas/150102001001").await;
    assert_eq!(
        after["area"]["residents"].as_i64().unwrap(),
        before["area"]["residents"].as_i64().unwrap() - 1
    );
    // Found by the ID number it took.
    let (_, found) = s.get(&grid, &format!("/api/v1/people?q={ID}")).await;
    let ids: Vec<&str> =
        found["people"].as_array().unwrap().iter().map(|p| p["person_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["x-dup-1", "x-dup-2"], "{found}");

    // Refused: two ID numbers are two people (the numbers are not repeated); one entry is not a pair.
    let (status, e) = merge("x-dup-1", "x-dup-4").await;
    assert_eq!(status, 422, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("different ID numbers"), "{e}");
    assert!(!e.to_string().contains(OTHER_ID));
    assert_eq!(merge("x-dup-1", "x-dup-1").await.0, 422);
    assert_eq!(merge("x-dup-1", "x-dup-3").await.0, 404, "merged already");
    let (status, e) = s
        .call(
            Method::POST,
            &grid,
            "/api/v1/people/x-dup-1/merge",
            Some(json!({"duplicate_id": "x-dup-2", "reason": " "})),
        )
        .await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("reason")));

    // The page: the pair left, merged with its form.
    let web = s.web_login("gongzhufu").await;
    let page = web.get(format!("{}/people/duplicates", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("data-keep=\"x-dup-1\""), "{page:.2000}");
    let csrf = s.csrf(&web).await;
    let r = web
        .post(format!("{}/people/x-dup-1/merge", s.base))
        .form(&[("csrf", csrf.as_str()), ("duplicate_id", "x-dup-2"), ("reason", "身份证号一致")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/people/x-dup-1");
    let r = web.get(format!("{}/people/x-dup-2", s.base)).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/people/x-dup-1", "an old id leads to the entry it went into");
    let (_, kept) = s.get(&grid, "/api/v1/people/x-dup-1").await;
    assert_eq!(kept["merges"].as_array().unwrap().len(), 1, "{kept}");
    let (_, need) = s.get(&grid, &format!("/api/v1/needs/{need_id}")).await;
    assert_eq!(need["need"]["person_id"], "x-dup-1", "carried through both merges");
}

on_both_backends!(duplicates_found_and_merged);
