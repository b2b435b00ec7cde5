//! JUnit XML, the test-report format every CI system reads: `<testsuites>` of `<testsuite>`s
//! of `<testcase>`s, each passed, failed (with a message and details), or errored.

use std::fmt::Write as _;

/// How a test case ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaseOutcome {
    /// It passed.
    Passed,
    /// An assertion failed: a one-line message and the full details.
    Failed {
        /// One line.
        message: String,
        /// Everything else, e.g. the replay commands.
        details: String,
    },
    /// It could not run (e.g. the scenario did not load).
    Errored {
        /// One line.
        message: String,
        /// Everything else.
        details: String,
    },
}

/// One test case.
#[derive(Clone, Debug, PartialEq)]
pub struct TestCase {
    /// Its name.
    pub name: String,
    /// Its class (CI systems group by it): here, the scenario.
    pub classname: String,
    /// Wall time in seconds.
    pub time: f64,
    /// The outcome.
    pub outcome: CaseOutcome,
}

/// A suite of cases: here, one scenario file.
#[derive(Clone, Debug, PartialEq)]
pub struct TestSuite {
    /// Its name.
    pub name: String,
    /// Wall time in seconds.
    pub time: f64,
    /// The cases.
    pub cases: Vec<TestCase>,
}

/// Renders suites as a JUnit XML document named `name`.
pub fn render_junit(name: &str, suites: &[TestSuite]) -> String {
    let count = |f: fn(&CaseOutcome) -> bool| -> usize {
        suites
            .iter()
            .flat_map(|s| &s.cases)
            .filter(|c| f(&c.outcome))
            .count()
    };
    let tests: usize = suites.iter().map(|s| s.cases.len()).sum();
    let failures = count(|o| matches!(o, CaseOutcome::Failed { .. }));
    let errors = count(|o| matches!(o, CaseOutcome::Errored { .. }));
    let time: f64 = suites.iter().map(|s| s.time).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{time:.3}\">",
        xml(name)
    );
    for s in suites {
        let f = s
            .cases
            .iter()
            .filter(|c| matches!(c.outcome, CaseOutcome::Failed { .. }))
            .count();
        let e = s
            .cases
            .iter()
            .filter(|c| matches!(c.outcome, CaseOutcome::Errored { .. }))
            .count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" errors=\"{e}\" skipped=\"0\" time=\"{:.3}\">",
            xml(&s.name),
            s.cases.len(),
            s.time
        );
        for c in &s.cases {
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
                xml(&c.name),
                xml(&c.classname),
                c.time
            );
            match &c.outcome {
                CaseOutcome::Passed => out.push_str("/>\n"),
                CaseOutcome::Failed { message, details } => {
                    let _ = writeln!(
                        out,
                        ">\n      <failure message=\"{}\" type=\"failure\">{}</failure>\n    </testcase>",
                        xml(message),
                        xml(details)
                    );
                }
                CaseOutcome::Errored { message, details } => {
                    let _ = writeln!(
                        out,
                        ">\n      <error message=\"{}\" type=\"error\">{}</error>\n    </testcase>",
                        xml(message),
                        xml(details)
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Escapes text for XML content and attributes, dropping characters XML 1.0 cannot hold.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_escapes() {
        let suites = vec![TestSuite {
            name: "a<b>".into(),
            time: 1.5,
            cases: vec![
                TestCase {
                    name: "ok".into(),
                    classname: "s".into(),
                    time: 0.5,
                    outcome: CaseOutcome::Passed,
                },
                TestCase {
                    name: "bad \"one\"".into(),
                    classname: "s".into(),
                    time: 1.0,
                    outcome: CaseOutcome::Failed {
                        message: "x & y".into(),
                        details: "line 1\nline 2 \u{1} <tag>".into(),
                    },
                },
            ],
        }];
        let x = render_junit("hearsay check", &suites);
        assert!(x.contains("tests=\"2\" failures=\"1\" errors=\"0\""));
        assert!(x.contains("name=\"a&lt;b&gt;\""));
        assert!(x.contains("name=\"bad &quot;one&quot;\""));
        assert!(x.contains("message=\"x &amp; y\""));
        assert!(x.contains("line 1&#10;line 2  &lt;tag&gt;</failure>"));
        assert!(x.contains("<testcase name=\"ok\" classname=\"s\" time=\"0.500\"/>"));
    }
}
