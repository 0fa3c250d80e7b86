//! Merging Prometheus text expositions from several registries (runtime §12).
//!
//! Every component has its own registry, so two components of one type both emit a family
//! named, say, `pyroscope_write_sent_bytes`. A scraper rejects a second `# HELP`/`# TYPE` for a
//! name, so the runtime merges: the first header of each name is kept, and every sample line is
//! placed under its family, families in order of first appearance. The merge works on text so
//! that it needs nothing from the registries but their ordinary encoding.

use indexmap::IndexMap;

#[derive(Default)]
struct Family {
    help: Option<String>,
    kind: Option<String>,
    unit: Option<String>,
    samples: Vec<String>,
}

/// Collects expositions and writes them back as one, one header per family name.
#[derive(Default)]
pub struct MergedExposition {
    families: IndexMap<String, Family>,
}

impl MergedExposition {
    /// An empty exposition.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add the families of one text exposition (an `# EOF` line is dropped).
    pub fn add(&mut self, text: &str) {
        let mut current: Option<String> = None;
        for line in text.lines() {
            if line.is_empty() || line == "# EOF" {
                continue;
            }
            if let Some(rest) = line.strip_prefix("# ") {
                let mut parts = rest.splitn(3, ' ');
                let keyword = parts.next().unwrap_or_default();
                let name = parts.next().unwrap_or_default().to_owned();
                let family = self.families.entry(name.clone()).or_default();
                let slot = match keyword {
                    "HELP" => &mut family.help,
                    "TYPE" => &mut family.kind,
                    "UNIT" => &mut family.unit,
                    _ => continue,
                };
                if slot.is_none() {
                    *slot = Some(line.to_owned());
                }
                current = Some(name);
                continue;
            }
            let name = match &current {
                Some(name) if belongs_to(line, name) => name.clone(),
                _ => {
                    let end = line.find(['{', ' ']).unwrap_or(line.len());
                    let name = line[..end].to_owned();
                    current = Some(name.clone());
                    name
                }
            };
            self.families
                .entry(name)
                .or_default()
                .samples
                .push(line.to_owned());
        }
    }

    /// Append the merged exposition to `out` (no `# EOF` line).
    pub fn write_to(&self, out: &mut String) {
        for family in self.families.values() {
            for header in [&family.help, &family.kind, &family.unit]
                .into_iter()
                .flatten()
            {
                out.push_str(header);
                out.push('\n');
            }
            for sample in &family.samples {
                out.push_str(sample);
                out.push('\n');
            }
        }
    }
}

/// Whether a sample line belongs to the family `name` (its metric name is `name` or `name`
/// followed by a suffix such as `_total`, `_bucket`, `_sum`, `_count`, `_created`, `_info`).
fn belongs_to(line: &str, name: &str) -> bool {
    let Some(rest) = line.strip_prefix(name) else {
        return false;
    };
    rest.starts_with(['{', ' ']) || rest.starts_with('_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_of_one_name_share_one_header() {
        let a = "# HELP sent bytes sent.\n# TYPE sent counter\nsent_total{component_id=\"a\"} 1\n# EOF\n";
        let b = "# HELP sent bytes sent.\n# TYPE sent counter\nsent_total{component_id=\"b\"} 2\n\
                 # HELP other other.\n# TYPE other gauge\nother 3\n";
        let mut merged = MergedExposition::new();
        merged.add(a);
        merged.add(b);
        let mut out = String::new();
        merged.write_to(&mut out);
        assert_eq!(
            out,
            "# HELP sent bytes sent.\n# TYPE sent counter\nsent_total{component_id=\"a\"} 1\n\
             sent_total{component_id=\"b\"} 2\n# HELP other other.\n# TYPE other gauge\nother 3\n"
        );
    }
}
