//! 权限表: what each route asks of its caller. Every capability declares its routes' needs in a
//! `NEEDS` table beside its `routes()` (one line per method and path); `lib.rs` gathers the
//! tables and `enforce` checks each request against them before any handler runs. A route with
//! no line is refused to everyone, so a route cannot be added and forgotten; a test walks the
//! table against the router and every role (`tests/it/matrix.rs`).
//!
//! The table is the floor. What depends on the object — whose area it lies in, which kind of
//! event is recorded, the city's headquarters rather than a district's — stays in the services.

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::Method;
use cordon_domain::Need;

/// One route's need: its method, its path as the router writes it (`/gates/{id}`), and what it
/// asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteNeed {
    pub method: &'static str,
    pub path: &'static str,
    pub need: Need,
}

impl RouteNeed {
    pub const fn get(path: &'static str, need: Need) -> Self {
        RouteNeed { method: "GET", path, need }
    }

    pub const fn post(path: &'static str, need: Need) -> Self {
        RouteNeed { method: "POST", path, need }
    }

    pub const fn put(path: &'static str, need: Need) -> Self {
        RouteNeed { method: "PUT", path, need }
    }

    pub const fn patch(path: &'static str, need: Need) -> Self {
        RouteNeed { method: "PATCH", path, need }
    }

    pub const fn delete(path: &'static str, need: Need) -> Self {
        RouteNeed { method: "DELETE", path, need }
    }
}

/// Every route's need, by method and path.
#[derive(Clone)]
pub struct Table(Arc<HashMap<(&'static str, &'static str), Need>>);

impl Table {
    /// The table of `needs`; a route declared twice is a mistake in the source, named.
    pub fn new(needs: &[RouteNeed]) -> Result<Table, String> {
        let mut map = HashMap::new();
        for n in needs {
            if map.insert((n.method, n.path), n.need).is_some() {
                return Err(format!("{} {} is declared twice", n.method, n.path));
            }
        }
        Ok(Table(Arc::new(map)))
    }

    /// What `method` on the route `path` asks; None when it was not declared.
    pub fn need(&self, method: &Method, path: &str) -> Option<Need> {
        // HEAD is answered by a GET route.
        let method = if method == Method::HEAD { "GET" } else { method.as_str() };
        self.0.get(&(method, path)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cordon_domain::Right;

    #[test]
    fn a_route_declared_twice_is_named() {
        let twice = [
            RouteNeed::get("/gates", Need::SignedIn),
            RouteNeed::post("/gates", Need::AnyOf(&[Right::ManageGates])),
            RouteNeed::get("/gates", Need::Open),
        ];
        assert_eq!(Table::new(&twice).err().unwrap(), "GET /gates is declared twice");
        let table = Table::new(&twice[..2]).unwrap();
        assert_eq!(table.need(&Method::HEAD, "/gates"), Some(Need::SignedIn));
        assert_eq!(table.need(&Method::POST, "/gates"), Some(Need::AnyOf(&[Right::ManageGates])));
        assert_eq!(table.need(&Method::PUT, "/gates"), None);
    }
}
