//! `cargo run -p uniffi-bindgen -- generate --library <cdylib> --language kotlin --out-dir <dir>`:
//! the same uniffi version as `relay-uniffi`, so generated code always matches the scaffolding.

fn main() {
    uniffi::uniffi_bindgen_main();
}
