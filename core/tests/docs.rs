//! The docs that list a core table list all of it: the README's errors table has every
//! `ErrorCode`, and CONTRIBUTING.md names the tables a change starts from.

use officernd_auth::ErrorCode;

fn read(name: &str) -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../").to_owned() + name)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn the_readme_errors_table_lists_every_code() {
    let readme = read("README.md");
    for code in ErrorCode::ALL {
        let row = format!("| `{}` |", code.as_str());
        assert!(
            readme.contains(&row),
            "README.md has no errors-table row {row}"
        );
    }
}

#[test]
fn contributing_names_the_tables() {
    let guide = read("CONTRIBUTING.md");
    for table in ["`ErrorCode`", "`SETTINGS`", "`Stats::FIELDS`"] {
        assert!(
            guide.contains(table),
            "CONTRIBUTING.md does not name {table}"
        );
    }
}
