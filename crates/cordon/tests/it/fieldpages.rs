//! The field's pages at a city's size: the sweep narrowed to one building, a page at a time and
//! printed as a door sheet; a household picked on the map or found by a resident's name instead
//! of a code typed; a worker picked by name; the long lists (cases, contacts, needs) paged and
//! narrowed.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::{Server, on_both_backends};

/// The community the demo's 网格员 (gongzhufu) keeps, inside the demo round's street.
const COMMUNITY: &str = "150102001001";

async fn page(web: &reqwest::Client, s: &Server, path: &str) -> (u16, String) {
    let r = web.get(format!("{}{path}", s.base)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Every `href="{prefix}…"` of a page, the rest of the link up to its closing quote.
fn links(html: &str, prefix: &str) -> Vec<String> {
    let html = html.replace("&#38;", "&").replace("&amp;", "&");
    html.split(&format!("href=\"{prefix}"))
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_owned())
        .collect()
}

/// The sweep, walked page by page through the API, lists each person once, and every page
/// counts the whole list; the page narrows from the community to a building, whose door sheet
/// prints a box per outcome for each door.
async fn sweep_narrows_pages_and_prints(s: &Server) {
    let grid = s.login("gongzhufu").await;
    let (mut seen, mut after, mut pages) = (Vec::<String>::new(), String::new(), 0);
    let total = loop {
        let (status, body) =
            s.get(&grid, &format!("/api/v1/rounds/1/sweep?area={COMMUNITY}&limit=97&after={after}")).await;
        assert_eq!(status, 200, "{body}");
        pages += 1;
        seen.extend(
            body["people"].as_array().unwrap().iter().map(|p| p["person_id"].as_str().unwrap().to_owned()),
        );
        match body["next_after"].as_str() {
            Some(next) => after = next.to_owned(),
            None => break body["total"].as_i64().unwrap(),
        }
    };
    assert!(pages > 2, "the demo's community takes several pages of 97: {pages}");
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "nobody twice");
    assert_eq!(seen.len() as i64, total, "the pages hold the whole list the count says");
    // What goes on after nobody, or after what is no register id, is refused.
    assert_eq!(s.get(&grid, "/api/v1/rounds/1/sweep?after=P999999999").await.0, 400);
    assert_eq!(s.get(&grid, "/api/v1/rounds/1/sweep?after=%20a%20b").await.0, 422, "no register id");

    let web = s.web_login("gongzhufu").await;
    let (status, html) = page(&web, s, &format!("/rounds/1/sweep?area={COMMUNITY}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("缩小到"), "the places to narrow to: {html:.2000}");
    let compound = links(&html, "/rounds/1/sweep?area=")
        .into_iter()
        .find(|code| code.len() == 15)
        .expect("a compound of the community to narrow to");
    assert!(html.contains("下一页"), "a long list pages");
    assert_eq!(html.matches("class=\"door\"").count(), 25, "a page of 25 doors' forms");

    let (_, html) = page(&web, s, &format!("/rounds/1/sweep?area={compound}")).await;
    let building = links(&html, "/rounds/1/sweep?area=")
        .into_iter()
        .find(|code| code.len() == 17)
        .expect("a building of the compound");
    let (_, html) = page(&web, s, &format!("/rounds/1/sweep?area={building}")).await;
    assert!(html.contains(&format!("href=\"/rounds/1/sweep?area={compound}\"")), "the way back up");
    assert!(!html.contains("缩小到"), "a building's doors are the list");
    let (_, body) = s.get(&grid, &format!("/api/v1/rounds/1/sweep?area={building}&limit=5000")).await;
    let people = body["people"].as_array().unwrap();
    assert!(!people.is_empty(), "the demo leaves doors to knock in {building}");
    for p in people {
        assert!(p["household"].as_str().unwrap().starts_with(&building), "{p}");
    }
    assert!(html.contains(&format!("href=\"/rounds/1/sweep/sheet?area={building}\"")), "the sheet to print");

    let (status, sheet) = page(&web, s, &format!("/rounds/1/sweep/sheet?area={building}")).await;
    assert_eq!(status, 200);
    assert!(sheet.contains("敲门登记表"), "{sheet:.2000}");
    let doors: BTreeSet<&str> = people.iter().map(|p| p["household"].as_str().unwrap()).collect();
    assert_eq!(sheet.matches("class=\"door-no\"").count(), doors.len(), "a row a door");
    assert_eq!(sheet.matches("<td class=\"box\">☐</td>").count(), doors.len() * 4, "a box an outcome");
    for p in people {
        assert!(sheet.contains(p["name"].as_str().unwrap()), "whom to look for: {p}");
    }
    // Above a compound a sheet would be a book: the sweep, to narrow first.
    let r = web.get(format!("{}/rounds/1/sweep/sheet?area={COMMUNITY}", s.base)).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], format!("/rounds/1/sweep?area={COMMUNITY}").as_str());
}

/// A community worker raising a request picks the household on the map or finds it by a
/// resident's name; a district officer fills a gap picking a worker by name.
async fn places_and_workers_are_picked(s: &Server) {
    let grid = s.login("gongzhufu").await;
    let (_, body) = s.get(&grid, &format!("/api/v1/rounds/1/sweep?area={COMMUNITY}&limit=1")).await;
    let someone: Value = body["people"][0].clone();
    let household = someone["household"].as_str().unwrap();
    let building = &household[..17];

    let web = s.web_login("gongzhufu").await;
    let (_, html) = page(&web, s, "/needs/new").await;
    assert!(!links(&html, "/needs/new?pick=").is_empty(), "the compounds of the community to pick");
    let (_, html) = page(&web, s, &format!("/needs/new?pick={building}")).await;
    assert!(html.contains(&format!("href=\"/needs/new?pick={household}\"")), "the building's doors to pick");
    let (_, html) = page(&web, s, &format!("/needs/new?pick={household}")).await;
    assert!(
        html.contains(&format!("name=\"household_code\" required maxlength=\"40\" value=\"{household}\""))
    );
    assert!(html.contains("class=\"chosen\""), "the address picked, said: {html:.3000}");
    // Found by a resident's name: a link that picks their household.
    let name = someone["name"].as_str().unwrap();
    let (_, html) = page(&web, s, &format!("/needs/new?find={}", urlencoding(name))).await;
    assert!(html.contains(&format!("href=\"/needs/new?pick={household}\"")), "{html:.3000}");
    let (_, html) = page(&web, s, "/needs/new?find=%E6%97%A0%E6%AD%A4%E4%BA%BA%E5%90%8D%E5%AD%97").await;
    assert!(html.contains("辖区内没有找到"), "nobody found is said");

    // A worker on hand today, found by part of their name, picked from the list.
    let office = s.login("xincheng").await;
    let (status, on_hand) = s.get(&office, "/api/v1/checkins").await;
    assert_eq!(status, 200, "{on_hand}");
    let worker = on_hand.as_array().unwrap()[0]["worker"].clone();
    let (worker_id, worker_name) = (worker["worker_id"].as_str().unwrap(), worker["name"].as_str().unwrap());
    let surname: String = worker_name.chars().take(1).collect();
    let desk = s.web_login("xincheng").await;
    let (_, html) =
        page(&desk, s, &format!("/workforce?who={}&area={building}", urlencoding(&surname))).await;
    assert!(html.contains("<select name=\"worker_id\" required>"), "{html:.4000}");
    assert!(html.contains(&format!("<option value=\"{worker_id}\">{worker_name}")), "{html:.4000}");
    assert!(html.contains("class=\"unit\""), "the unit said by name, not its code");
    let csrf = s.csrf(&desk).await;
    let form =
        [("csrf", csrf.as_str()), ("worker_id", worker_id), ("area_code", building), ("post", "member")];
    let r = desk.post(format!("{}/workforce/assign", s.base)).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let (_, now) = s.get(&office, "/api/v1/assignments").await;
    assert!(
        now.as_array()
            .unwrap()
            .iter()
            .any(|a| a["worker"]["worker_id"] == worker_id && a["unit_key"] == building),
        "{now:.2000}"
    );
    let (_, html) = page(&desk, s, "/workforce?who=%E6%97%A0%E6%AD%A4%E4%BA%BA").await;
    assert!(html.contains("没有这个名字"), "nobody of that name is said");
}

/// The cases, the contacts and the needs page and narrow, and a later page holds none of the
/// first's (on the demo with its month of history: a list long enough to page).
async fn lists_page_and_narrow(s: &Server) {
    let epi = s.web_login("epi").await;
    let (_, first) = page(&epi, s, "/cases").await;
    let next = links(&first, "/cases?state=&day=&from=");
    assert_eq!(next, vec!["20".to_owned()], "the next page of 20");
    let (_, second) = page(&epi, s, "/cases?from=20").await;
    // The cases of the list's table (the chain drawn below links every case).
    let ids = |html: &str| -> BTreeSet<String> {
        let table = &html[..html.find("</table>").unwrap_or(html.len())];
        links(table, "/cases/").into_iter().filter(|l| l.chars().all(|c| c.is_ascii_digit())).collect()
    };
    assert_eq!(ids(&first).len(), 20);
    assert!(ids(&first).is_disjoint(&ids(&second)), "a later page repeats none");
    let (_, open) = page(&epi, s, "/cases?state=open").await;
    let (_, recovered) = page(&epi, s, "/cases?state=recovered").await;
    assert!(!ids(&recovered).is_empty(), "the demo's month holds recoveries");
    assert!(ids(&open).is_disjoint(&ids(&recovered)), "an open case is not a recovered one");
    assert_eq!(page(&epi, s, "/cases?day=yesterday").await.0, 422);

    let (_, first) = page(&epi, s, "/contacts?show=all").await;
    let (_, second) = page(&epi, s, "/contacts?show=all&from=25").await;
    let contacts = |html: &str| -> BTreeSet<String> { links(html, "/contacts/").into_iter().collect() };
    assert_eq!(contacts(&first).len(), 25);
    assert!(contacts(&first).is_disjoint(&contacts(&second)));

    // A case's contacts fold by where they were found, each fold counted.
    let (_, case) = page(&epi, s, "/cases/1").await;
    assert!(case.matches("<details class=\"contact-group\"").count() >= 2, "{case:.3000}");

    // The needs board narrows to an area of the worker's and pages.
    let grid = s.web_login("gongzhufu").await;
    let (_, board) = page(&grid, s, "/needs").await;
    let compound = links(&board, "/needs?area=").into_iter().next().expect("places to narrow the board to");
    let (status, narrowed) = page(&grid, s, &format!("/needs?area={compound}")).await;
    assert_eq!(status, 200);
    assert!(narrowed.contains(&format!("href=\"/needs?area={COMMUNITY}\"")), "the way back up");
    assert_eq!(page(&grid, s, "/needs?area=150102002").await.0, 404, "outside the worker's areas");
}

/// People and places are named where a page shows them: a need's owner and whom it can be handed
/// to, who took each step (the system's own steps as the system's), the unit of an assignment
/// with the area it lies in, whom a contact was found through.
async fn names_in_place_of_codes(s: &Server) {
    let grid = s.login("gongzhufu").await;
    let (_, board) = s.get(&grid, "/api/v1/needs?limit=500").await;
    let need = board
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["household_code"].as_str().unwrap().starts_with(COMMUNITY))
        .expect("a need of the worker's community")
        .clone();
    let web = s.web_login("gongzhufu").await;
    let (_, html) = page(&web, s, &format!("/needs/{}", need["id"])).await;
    let picker =
        &html[html.find("<select name=\"worker_id\" required>").expect("the worker picked by name")..];
    // Each option: a worker answering for a unit of the community, by name and unit.
    let options: Vec<(String, String)> = picker[..picker.find("</select>").unwrap()]
        .split("<option value=\"")
        .skip(1)
        .map(|o| {
            let id = o[..o.find('"').unwrap()].to_owned();
            let text = &o[o.find('>').unwrap() + 1..o.find("</option>").unwrap()];
            (id, text[..text.find(" · ").unwrap()].to_owned())
        })
        .collect();
    let (worker, name) = options
        .iter()
        .find(|(id, _)| Some(id.as_str()) != need["owner_worker"].as_str())
        .expect("a worker of the community to hand it to")
        .clone();
    assert!(!name.starts_with('W'), "a name, not an id: {name}");

    // Handed over by the picker: the owner shown by name, picked first, and the step signed with
    // the user's name — never a username or the system's.
    let csrf = s.csrf(&web).await;
    let form = [("csrf", csrf.as_str()), ("action", "assign"), ("worker_id", worker.as_str())];
    let r = web.post(format!("{}/needs/{}/act", s.base, need["id"])).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let (_, d) = s.get(&grid, &format!("/api/v1/needs/{}", need["id"])).await;
    let last = d["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["to"].as_str(), last["to_name"].as_str()),
        (Some(worker.as_str()), Some(name.as_str())),
        "{d}"
    );
    let (_, html) = page(&web, s, &format!("/needs/{}", need["id"])).await;
    assert!(html.contains(&format!("<b>指派 {name}</b>")), "given to them by name: {html:.5000}");
    if let Some(owner) = d["need"]["owner_name"].as_str() {
        assert!(html.contains(&format!(" · {owner}</dd>")), "the routed owner by name");
    }
    assert!(html.contains(&format!("<option value=\"{worker}\" selected>{name} · ")), "{html:.5000}");
    let (_, me) = s.get(&grid, "/api/v1/me").await;
    let display = me["display_name"].as_str().unwrap();
    assert_ne!(display, "gongzhufu");
    assert!(html.contains(&format!("经办 {display}")), "the step by the user's name: {html:.4000}");
    assert!(!html.contains("经办 gongzhufu") && !html.contains("经办 cordon"), "no username shown");

    // Two 1号楼 of one district told apart by their compound.
    let office = s.login("xincheng").await;
    let (_, all) = s.get(&office, "/api/v1/assignments").await;
    for a in all.as_array().unwrap() {
        assert!(!a["unit_within"].as_str().unwrap().is_empty(), "where the unit lies: {a}");
    }
    let desk = s.web_login("xincheng").await;
    let (_, html) = page(&desk, s, "/workforce").await;
    let a = &all[0];
    assert!(
        html.contains(&format!(
            "{} <small class=\"muted\">{}</small>",
            a["unit_name"].as_str().unwrap(),
            a["unit_within"].as_str().unwrap()
        )),
        "{html:.4000}"
    );

    // A contact found through someone in the reader's areas names them.
    let epi = s.login("epi").await;
    let (_, contacts) = s.get(&epi, "/api/v1/contacts?limit=50").await;
    let list = contacts["contacts"].as_array().or(contacts.as_array()).unwrap();
    assert!(list.iter().any(|c| c["via_name"].is_string()), "{contacts:.2000}");
}

fn urlencoding(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

on_both_backends!(sweep_narrows_pages_and_prints, places_and_workers_are_picked, names_in_place_of_codes);

mod with_history {
    use crate::support::{demo_with, postgres, sqlite};

    #[tokio::test]
    async fn lists_page_and_narrow_on_sqlite() {
        super::lists_page_and_narrow(&demo_with(sqlite(), &[])).await;
    }

    #[tokio::test]
    async fn lists_page_and_narrow_on_postgres() {
        if let Some(db) = postgres() {
            super::lists_page_and_narrow(&demo_with(db, &[])).await;
        }
    }
}
