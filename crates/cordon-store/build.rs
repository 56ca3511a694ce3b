// `sqlx::migrate!` reads the migrations when the crate compiles: a migration added or changed
// must rebuild the crate, as sqlx's documentation asks of a build script.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
