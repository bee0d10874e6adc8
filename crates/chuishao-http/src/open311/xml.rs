//! JSON values as Open311 XML: objects become elements, `null` an empty element, and a list
//! inside an object a wrapper whose items take the singular name (`attributes/attribute`).

use serde_json::Value;

fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
}

/// The element name of one item of a list called `plural`.
fn singular(plural: &str) -> &str {
    match plural {
        "attributes" => "attribute",
        "values" => "value",
        "endpoints" => "endpoint",
        "formats" => "format",
        other => other.strip_suffix('s').unwrap_or(other),
    }
}

fn element(name: &str, v: &Value, out: &mut String) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    match v {
        Value::Null => {}
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => escape(s, out),
        Value::Array(items) => {
            let item = singular(name);
            for i in items {
                element(item, i, out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                element(k, v, out);
            }
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// A document `<root><item>…</item>…</root>` for a list, or `<root>…</root>` for an object.
pub fn document(root: &str, item: &str, v: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    match v {
        Value::Array(items) => {
            out.push('<');
            out.push_str(root);
            out.push('>');
            for i in items {
                element(item, i, &mut out);
            }
            out.push_str("</");
            out.push_str(root);
            out.push('>');
        }
        other => element(root, other, &mut out),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_objects_nulls_and_escapes() {
        let v = json!([{"code": 400, "description": "a < b & \"c\""}]);
        assert_eq!(
            document("errors", "error", &v),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><errors><error><code>400</code>\
             <description>a &lt; b &amp; &quot;c&quot;</description></error></errors>"
        );
        let d = json!({"service_code": "E0101", "attributes": [{"values": [{"key": "yes"}]}], "x": null});
        assert_eq!(
            document("service_definition", "", &d),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><service_definition>\
             <attributes><attribute><values><value><key>yes</key></value></values></attribute></attributes>\
             <service_code>E0101</service_code><x></x></service_definition>"
        );
    }
}
