//! The layout's invariants (ARCHITECTURE.md), checked on the source itself: a change that breaks
//! one fails here with the file that broke it, not in review.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every Rust file under `dir`, in every folder below it.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// The source without its plain comments. Doc comments stay: a link in one names the module it
/// points at, and rustdoc follows it as the compiler follows an import.
fn code_of(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(at)
                if !l[..at].contains('"') && !l[at..].starts_with("///") && !l[at..].starts_with("//!") =>
            {
                &l[..at]
            }
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first path segment of every item of a `crate::{…}` group, nested groups included.
fn group_heads(group: &str) -> Vec<String> {
    let (mut depth, mut item, mut heads) = (0, String::new(), Vec::new());
    for c in group.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => heads.push(std::mem::take(&mut item)),
            _ if depth == 0 => item.push(c),
            _ => {}
        }
    }
    heads.push(item);
    heads
        .iter()
        .filter_map(|h| {
            let h = h.trim();
            let end = h.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(h.len());
            (end > 0).then(|| h[..end].to_owned())
        })
        .collect()
}

/// The top-level modules of `crate::…` that `text` names.
fn crate_refs(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + 7..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let end = group
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(group.len(), |(i, _)| i);
            out.extend(group_heads(&group[..end]));
        } else {
            let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
            out.insert(rest[..end].to_owned());
        }
    }
    out
}

/// A crate's top-level modules (a file or a folder under `src/`) and the others each names.
fn module_graph(krate: &str) -> BTreeMap<String, BTreeSet<String>> {
    let src = crates_dir().join(krate).join("src");
    let mut files: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            files.insert(name, sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") && name != "lib" && name != "main" {
            files.insert(name, vec![path]);
        }
    }
    let names: BTreeSet<String> = files.keys().cloned().collect();
    files
        .iter()
        .map(|(m, paths)| {
            let refs = paths
                .iter()
                .flat_map(|p| crate_refs(&code_of(&read(p))))
                .filter(|r| names.contains(r) && r != m)
                .collect();
            (m.clone(), refs)
        })
        .collect()
}

/// A circle of the graph, if it has one.
fn find_circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut circle = path[at..].to_vec();
            circle.push(node.to_owned());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, done, path) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|n| visit(n, graph, &mut done, &mut Vec::new()))
}

#[test]
fn no_crate_has_an_import_circle_between_its_top_level_modules() {
    let crates: Vec<String> = std::fs::read_dir(crates_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| crates_dir().join(n).join("src").is_dir())
        .collect();
    assert!(crates.len() >= 7, "the workspace's crates were found: {crates:?}");
    for krate in crates {
        let graph = module_graph(&krate);
        if let Some(circle) = find_circle(&graph) {
            panic!("{krate}: the modules import one another in a circle: {}", circle.join(" → "));
        }
    }
}

#[test]
fn the_circle_finder_finds_a_circle() {
    let graph: BTreeMap<String, BTreeSet<String>> =
        [("a", vec!["b"]), ("b", vec!["c"]), ("c", vec!["a"]), ("d", vec![])]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
            .collect();
    assert_eq!(find_circle(&graph).unwrap(), ["a", "b", "c", "a"]);
    assert_eq!(
        crate_refs("use crate::{AppState, http::auth::{self, X}, zones};\nlet x = crate::gates::y;"),
        ["AppState", "gates", "http", "zones"].into_iter().map(str::to_owned).collect()
    );
}

#[test]
fn the_domain_does_no_io() {
    let manifest = read(&crates_dir().join("cordon-domain/Cargo.toml"));
    let deps = manifest.split("[dependencies]").nth(1).unwrap().split("\n[").next().unwrap();
    for io in ["sqlx", "tokio", "axum", "reqwest", "rusqlite", "hyper", "tower", "cordon-"] {
        assert!(!deps.contains(io), "cordon-domain depends on {io}: the domain is types and rules, no I/O");
    }
    for path in sources(&crates_dir().join("cordon-domain/src")) {
        let code = code_of(&read(&path));
        for io in ["std::fs", "std::net", "std::process", "tokio::", "File::open"] {
            assert!(!code.contains(io), "{} uses {io}: the domain does no I/O", path.display());
        }
    }
}

/// The server's capabilities: every folder of its `src/` but the plumbing and the layout.
fn capabilities() -> Vec<String> {
    let src = crates_dir().join("cordon-server/src");
    let mut out: Vec<String> = std::fs::read_dir(src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .filter(|n| n != "http" && n != "web")
        .collect();
    out.sort();
    out
}

#[test]
fn pages_never_call_the_api() {
    let src = crates_dir().join("cordon-server/src");
    let mut pages = 0;
    for path in sources(&src) {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name != "pages" && !name.ends_with("_pages") {
            continue;
        }
        pages += 1;
        let code = code_of(&read(&path));
        for needle in ["::api::", "::api;", "super::api", "mod api"] {
            assert!(
                !code.contains(needle),
                "{} names an API module ({needle}): a page calls the service, never a handler",
                path.display()
            );
        }
    }
    assert!(pages >= 10, "the pages modules were found: {pages}");
}

#[test]
fn no_capability_reaches_into_another() {
    let src = crates_dir().join("cordon-server/src");
    let caps = capabilities();
    assert!(caps.len() >= 10, "the capabilities were found: {caps:?}");
    for cap in &caps {
        for path in sources(&src.join(cap)) {
            let code = code_of(&read(&path));
            for other in caps.iter().filter(|o| *o != cap) {
                for inner in ["api", "pages", "words", "service"] {
                    let needle = format!("crate::{other}::{inner}");
                    assert!(
                        !code.contains(&needle),
                        "{} uses {needle}: a capability uses another's service through what its \
                         folder exports, never its routes, pages or words",
                        path.display()
                    );
                }
            }
        }
    }
    // Nor do the plumbing and the layout know any capability.
    for shared in ["http", "web"] {
        for path in sources(&src.join(shared)) {
            let code = code_of(&read(&path));
            for cap in &caps {
                assert!(
                    !code.contains(&format!("crate::{cap}")),
                    "{} names the capability {cap}: the plumbing and the layout serve them all",
                    path.display()
                );
            }
        }
    }
}

/// The types the API describes (`ToSchema`), by name, with the files that declare them.
fn schema_types(src: &Path) -> BTreeMap<String, Vec<String>> {
    let mut names: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in sources(src) {
        let text = read(&path);
        let mut described = false;
        for line in text.lines().map(str::trim) {
            if line.starts_with("#[derive(") {
                described = line.contains("ToSchema");
                continue;
            }
            if line.starts_with("#[") || line.starts_with("///") {
                continue;
            }
            if described {
                let decl = line.strip_prefix("pub struct ").or_else(|| line.strip_prefix("pub enum "));
                if let Some(rest) = decl {
                    let name: String =
                        rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    let file = path.strip_prefix(src).unwrap().display().to_string();
                    names.entry(name).or_default().push(file);
                }
            }
            described = false;
        }
    }
    names
}

/// utoipa names a schema after its type alone, and a second type of the same name in another
/// capability silently replaces the first in the API's description — the fuzzing then finds one
/// endpoint answering with the other's shape. Every described type's name is its own.
#[test]
fn the_api_describes_each_type_under_its_own_name() {
    let names = schema_types(&crates_dir().join("cordon-server/src"));
    assert!(names.len() > 100, "the described types were found: {}", names.len());
    for (name, files) in &names {
        assert_eq!(files.len(), 1, "{name} is declared in {files:?}: the API's description keeps only one");
    }
}

#[test]
fn services_know_no_http_framework() {
    let src = crates_dir().join("cordon-server/src");
    for cap in capabilities() {
        let service = src.join(&cap).join("service.rs");
        if service.exists() {
            let code = code_of(&read(&service));
            assert!(
                !code.contains("axum"),
                "{} uses axum: a service holds the use cases only",
                service.display()
            );
        }
    }
}

/// A capability's use cases refuse with its own error enum; only its `api` and `pages` modules
/// (and a handler's own `_api` module) turn a refusal into a status, a body or a page.
#[test]
fn services_refuse_with_their_own_errors() {
    let src = crates_dir().join("cordon-server/src");
    let mut checked = 0;
    for cap in capabilities() {
        for path in sources(&src.join(&cap)) {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            if name == "api" || name == "pages" || name.ends_with("_pages") || name.ends_with("_api") {
                continue;
            }
            checked += 1;
            let code = code_of(&read(&path));
            for needle in ["ApiError", "http::error"] {
                assert!(
                    !code.contains(needle),
                    "{} names {needle}: a service returns its capability's own error, which api.rs maps",
                    path.display()
                );
            }
        }
    }
    assert!(checked >= 40, "the services' modules were found: {checked}");
}

#[test]
fn the_binary_only_parses_and_dispatches() {
    let main = read(&crates_dir().join("cordon/src/main.rs"));
    let lines = main.lines().count();
    assert!(
        lines < 300,
        "crates/cordon/src/main.rs has {lines} lines: each command group has its own module"
    );
    let manifest = read(&crates_dir().join("cordon/Cargo.toml"));
    assert!(manifest.contains("bench = []"), "the benchmarks sit behind the `bench` feature");
    assert!(
        main.contains("#[cfg(feature = \"bench\")]\nmod bench;"),
        "the benchmarks are built only with `bench`"
    );
}

#[test]
fn the_store_is_written_without_macros() {
    let dir = crates_dir().join("cordon-store/src");
    let with_macros: Vec<String> = sources(&dir)
        .into_iter()
        .filter(|f| code_of(&read(f)).contains("macro_rules!"))
        .map(|f| f.strip_prefix(&dir).unwrap().display().to_string())
        .collect();
    assert!(
        with_macros.is_empty(),
        "store code written by a macro in {with_macros:?}: write the query once over db.rs, \
         with the dialects' differences named in db::Dialect"
    );
    let sql_per_backend: Vec<String> = ["sqlite.rs", "postgres.rs"]
        .into_iter()
        .filter(|f| {
            let text = code_of(&read(&dir.join(f)));
            text.contains("impl Store for") || text.contains("impl Import for")
        })
        .map(str::to_owned)
        .collect();
    assert!(sql_per_backend.is_empty(), "a backend implements the store apart in {sql_per_backend:?}");
}
