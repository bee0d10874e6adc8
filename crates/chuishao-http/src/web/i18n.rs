//! The page language and the catalogue, from `chuishao-i18n` (the one message catalogue of
//! the product). Templates ask `t.t("key")`; a test checks every key a template uses exists.

pub use chuishao_i18n::{Lang, Msgs};

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    #[test]
    fn every_key_used_by_a_template_is_in_the_catalogue() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{dir}: {e}")) {
            let path = entry.map(|e| e.path()).unwrap_or_default();
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for part in text.split("t.t(\"").skip(1) {
                let key = part.split('"').next().unwrap_or_default();
                assert!(
                    chuishao_i18n::lookup(key).is_some(),
                    "{}: key {key} missing from the catalogue",
                    path.display()
                );
            }
        }
    }
}
