//! Who did something, by name. A log keeps the username (unique, and kept when a name changes);
//! a page shows the user's display name, the system's own actions as the system's, and a
//! household's from its own page as the household's — never `gongzhufu` or `cordon`.

use std::collections::HashMap;

use crate::AppState;
use crate::web::Page;

/// The display names a page needs, read at once for the usernames it shows.
#[derive(Debug, Default, Clone)]
pub struct Names {
    names: HashMap<String, String>,
}

impl Names {
    /// Reads the display names of `usernames` in one query. A failed read leaves the usernames
    /// shown as they are: a page of a log is still worth reading without its names.
    pub async fn of<'a>(state: &AppState, usernames: impl IntoIterator<Item = &'a str>) -> Names {
        let mut wanted: Vec<String> =
            usernames.into_iter().filter(|u| !is_system(u) && !is_household(u)).map(str::to_owned).collect();
        wanted.sort_unstable();
        wanted.dedup();
        if wanted.is_empty() {
            return Names::default();
        }
        match state.store.display_names(&wanted).await {
            Ok(names) => Names { names },
            Err(e) => {
                tracing::warn!(error = %e, "reading the display names failed");
                Names::default()
            }
        }
    }

    /// How the page names who did something.
    pub fn who(&self, page: &Page, username: &str) -> String {
        if is_system(username) {
            page.t.system_did.to_owned()
        } else if is_household(username) {
            page.t.by_resident.to_owned()
        } else {
            self.names.get(username).cloned().unwrap_or_else(|| username.to_owned())
        }
    }
}

/// The system's own actors: `cordon` (a need's or a zone's sweep), `cordon (plan ended)` (a
/// contact released at its plan's end), `system:…` (the transfers' sweep).
fn is_system(username: &str) -> bool {
    username == cordon_domain::user::SYSTEM_ACTOR
        || username.starts_with("cordon (")
        || username.starts_with("system:")
}

/// A household acting from its own page (`resident:CODE`).
fn is_household(username: &str) -> bool {
    username.starts_with("resident:")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::Lang;

    #[test]
    fn the_system_and_households_are_named_in_the_page_language() {
        let names = Names { names: HashMap::from([("gongzhufu".to_owned(), "龚主任".to_owned())]) };
        let zh = Page::new(Lang::Zh, None, "/");
        let en = Page::new(Lang::En, None, "/");
        assert_eq!(names.who(&zh, "gongzhufu"), "龚主任");
        assert_eq!(names.who(&zh, "cordon"), "系统自动");
        assert_eq!(names.who(&en, "cordon (plan ended)"), "the system");
        assert_eq!(names.who(&en, "system:transfer-sweep"), "the system");
        assert_eq!(names.who(&zh, "resident:150102001001001001"), "居民本人");
        // Someone since removed keeps their username.
        assert_eq!(names.who(&zh, "left"), "left");
        assert!(!is_system("cordonx") && is_system("cordon"));
    }
}
