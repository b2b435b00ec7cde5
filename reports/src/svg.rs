//! A small SVG line and scatter chart: axes with round ticks, lines (solid, dashed, stepped),
//! bands, shaded x-intervals (fault windows), vertical and horizontal markers, points with
//! labels, and a legend.
//!
//! Hand-written rather than a plotting crate's: it needs no fonts at build or run time (text is
//! left to the viewer's sans-serif), its output is plain deterministic text that snapshot tests
//! can compare, and it is all a report needs.

use std::fmt::Write as _;

/// Line colours, in the order strategies take them (Tableau 10, colour-blind friendly enough).
pub const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

/// The colour of the `i`-th series.
pub fn color(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// How a line is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Dash {
    /// Solid.
    #[default]
    Solid,
    /// Long dashes (analytic curves).
    Dashed,
    /// Dots (markers).
    Dotted,
}

impl Dash {
    fn attr(self) -> &'static str {
        match self {
            Dash::Solid => "",
            Dash::Dashed => r#" stroke-dasharray="7 4""#,
            Dash::Dotted => r#" stroke-dasharray="2 3""#,
        }
    }
}

/// A polyline.
#[derive(Clone, Debug, Default)]
pub struct Line {
    /// Legend text (empty: not in the legend).
    pub label: String,
    /// Stroke colour.
    pub color: String,
    /// Points, in drawing order.
    pub points: Vec<(f64, f64)>,
    /// Dash style.
    pub dash: Dash,
    /// Stroke width in pixels.
    pub width: f64,
    /// Draw as a step function (horizontal, then vertical).
    pub step: bool,
}

/// A filled area between two curves sharing x values.
#[derive(Clone, Debug, Default)]
pub struct Band {
    /// Fill colour (drawn translucent).
    pub color: String,
    /// `(x, low, high)` triples sorted by x.
    pub points: Vec<(f64, f64, f64)>,
}

/// An x-interval shaded across the plot (a fault window).
#[derive(Clone, Debug, Default)]
pub struct Shade {
    /// Text written at the top of the interval.
    pub label: String,
    /// Start.
    pub from: f64,
    /// End.
    pub to: f64,
}

/// A vertical or horizontal reference line across the plot.
#[derive(Clone, Debug, Default)]
pub struct Rule {
    /// Legend text.
    pub label: String,
    /// Colour.
    pub color: String,
    /// Position on its axis.
    pub at: f64,
    /// Vertical (at an x) or horizontal (at a y).
    pub vertical: bool,
    /// Dash style.
    pub dash: Dash,
}

/// Markers at points, each optionally labelled.
#[derive(Clone, Debug, Default)]
pub struct Points {
    /// Legend text.
    pub label: String,
    /// Colour.
    pub color: String,
    /// `(x, y, label)`.
    pub points: Vec<(f64, f64, String)>,
    /// Radius in pixels.
    pub radius: f64,
    /// Outline only.
    pub hollow: bool,
}

/// A chart: data plus titles. [`Chart::render`] turns it into an `<svg>` element.
#[derive(Clone, Debug)]
pub struct Chart {
    /// Title, above the plot.
    pub title: String,
    /// Caption under the title (units, what the overlays are).
    pub subtitle: String,
    /// The x axis's label.
    pub x_label: String,
    /// The y axis's label.
    pub y_label: String,
    /// Width in pixels.
    pub width: f64,
    /// Height in pixels.
    pub height: f64,
    /// Fixed x range, or `None` to fit the data.
    pub x_range: Option<(f64, f64)>,
    /// Fixed y range, or `None` to fit the data.
    pub y_range: Option<(f64, f64)>,
    /// Shaded intervals, drawn first.
    pub shades: Vec<Shade>,
    /// Bands, drawn over the shades.
    pub bands: Vec<Band>,
    /// Lines.
    pub lines: Vec<Line>,
    /// Reference lines.
    pub rules: Vec<Rule>,
    /// Point sets, drawn last.
    pub points: Vec<Points>,
    /// Text shown in the plot area when there is nothing to draw.
    pub empty_note: String,
}

impl Chart {
    /// An empty chart of the default size (720 × 380).
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        Chart {
            title: title.into(),
            subtitle: String::new(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            width: 720.0,
            height: 380.0,
            x_range: None,
            y_range: None,
            shades: Vec::new(),
            bands: Vec::new(),
            lines: Vec::new(),
            rules: Vec::new(),
            points: Vec::new(),
            empty_note: "no data".into(),
        }
    }

    fn data_extent(&self) -> Option<((f64, f64), (f64, f64))> {
        let mut xs: Vec<f64> = Vec::new();
        let mut ys: Vec<f64> = Vec::new();
        for l in &self.lines {
            for &(x, y) in &l.points {
                xs.push(x);
                ys.push(y);
            }
        }
        for b in &self.bands {
            for &(x, lo, hi) in &b.points {
                xs.push(x);
                ys.push(lo);
                ys.push(hi);
            }
        }
        for p in &self.points {
            for (x, y, _) in &p.points {
                xs.push(*x);
                ys.push(*y);
            }
        }
        for r in &self.rules {
            if r.vertical {
                xs.push(r.at);
            } else {
                ys.push(r.at);
            }
        }
        for s in &self.shades {
            xs.push(s.from);
            xs.push(s.to);
        }
        let fin = |v: &Vec<f64>| -> Option<(f64, f64)> {
            let it = v.iter().copied().filter(|x| x.is_finite());
            let lo = it.clone().fold(f64::INFINITY, f64::min);
            let hi = it.fold(f64::NEG_INFINITY, f64::max);
            lo.is_finite().then_some((lo, hi))
        };
        Some((fin(&xs)?, fin(&ys)?))
    }

    /// The chart as a standalone `<svg>` element (no XML prolog), deterministic text.
    pub fn render(&self) -> String {
        let legend = self.legend_entries();
        let legend_w = if legend.is_empty() {
            0.0
        } else {
            let longest = legend
                .iter()
                .map(|e| e.0.chars().count())
                .max()
                .unwrap_or(0);
            (longest as f64 * 6.6 + 40.0).clamp(110.0, 260.0)
        };
        let (w, h) = (self.width + legend_w, self.height);
        let (left, right, top, bottom) = (
            64.0,
            16.0,
            if self.subtitle.is_empty() { 34.0 } else { 50.0 },
            46.0,
        );
        let (pw, ph) = (self.width - left - right, h - top - bottom);
        let mut out = String::new();
        let _ = write!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12" role="img" aria-label="{}">"#,
            esc(&self.title)
        );
        out.push('\n');
        let _ = writeln!(out, r##"<rect width="{w}" height="{h}" fill="#ffffff"/>"##);
        let _ = writeln!(
            out,
            r##"<text x="{left}" y="20" font-size="15" font-weight="bold" fill="#222">{}</text>"##,
            esc(&self.title)
        );
        if !self.subtitle.is_empty() {
            let _ = writeln!(
                out,
                r##"<text x="{left}" y="37" font-size="11" fill="#555">{}</text>"##,
                esc(&self.subtitle)
            );
        }

        let extent = self.data_extent();
        let Some(((dx0, dx1), (dy0, dy1))) =
            extent.map(|(x, y)| (self.x_range.unwrap_or(x), self.y_range.unwrap_or(y)))
        else {
            let _ = writeln!(
                out,
                r##"<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>"##
            );
            let _ = writeln!(
                out,
                r##"<text x="{}" y="{}" text-anchor="middle" fill="#777">{}</text>"##,
                left + pw / 2.0,
                top + ph / 2.0,
                esc(&self.empty_note)
            );
            out.push_str("</svg>\n");
            return out;
        };
        let (x_ticks, x0, x1) = nice_ticks(dx0, dx1, 8);
        let (y_ticks, y0, y1) = nice_ticks(dy0, dy1, 6);
        let sx = |x: f64| left + (x - x0) / (x1 - x0) * pw;
        let sy = |y: f64| top + ph - (y - y0) / (y1 - y0) * ph;
        let clip_id = format!("plot{}", fnv(&self.title));
        let _ = writeln!(
            out,
            r#"<defs><clipPath id="{clip_id}"><rect x="{left}" y="{top}" width="{pw}" height="{ph}"/></clipPath></defs>"#
        );

        // Grid and ticks.
        for &t in &y_ticks {
            let y = r(sy(t));
            let _ = writeln!(
                out,
                r##"<line x1="{left}" y1="{y}" x2="{}" y2="{y}" stroke="#e6e6e6"/><text x="{}" y="{}" text-anchor="end" fill="#444">{}</text>"##,
                left + pw,
                left - 6.0,
                y + 4.0,
                tick_label(t, &y_ticks)
            );
        }
        for &t in &x_ticks {
            let x = r(sx(t));
            let _ = writeln!(
                out,
                r##"<line x1="{x}" y1="{top}" x2="{x}" y2="{}" stroke="#eeeeee"/><text x="{x}" y="{}" text-anchor="middle" fill="#444">{}</text>"##,
                top + ph,
                top + ph + 16.0,
                tick_label(t, &x_ticks)
            );
        }

        let _ = writeln!(out, r#"<g clip-path="url(#{clip_id})">"#);
        for s in &self.shades {
            let (a, b) = (sx(s.from.max(x0)), sx(s.to.min(x1)));
            if b <= a {
                continue;
            }
            let _ = writeln!(
                out,
                r##"<rect x="{}" y="{top}" width="{}" height="{ph}" fill="#999999" fill-opacity="0.16"><title>{}</title></rect>"##,
                r(a),
                r(b - a),
                esc(&s.label)
            );
            let _ = writeln!(
                out,
                r##"<text x="{}" y="{}" font-size="10" fill="#666">{}</text>"##,
                r(a + 3.0),
                top + 12.0,
                esc(&s.label)
            );
        }
        for b in &self.bands {
            if b.points.is_empty() {
                continue;
            }
            let mut d = String::new();
            for (i, &(x, _, hi)) in b.points.iter().enumerate() {
                let _ = write!(
                    d,
                    "{}{},{} ",
                    if i == 0 { "M" } else { "L" },
                    r(sx(x)),
                    r(sy(hi))
                );
            }
            for &(x, lo, _) in b.points.iter().rev() {
                let _ = write!(d, "L{},{} ", r(sx(x)), r(sy(lo)));
            }
            let _ = writeln!(
                out,
                r#"<path d="{}Z" fill="{}" fill-opacity="0.15" stroke="none"/>"#,
                d, b.color
            );
        }
        for l in &self.lines {
            let pts: Vec<(f64, f64)> = l
                .points
                .iter()
                .copied()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect();
            if pts.is_empty() {
                continue;
            }
            let mut d = String::new();
            let mut prev_y = None;
            for (i, &(x, y)) in pts.iter().enumerate() {
                if i == 0 {
                    let _ = write!(d, "M{},{}", r(sx(x)), r(sy(y)));
                } else if l.step {
                    let _ = write!(d, " H{} V{}", r(sx(x)), r(sy(y)));
                } else {
                    let _ = write!(d, " L{},{}", r(sx(x)), r(sy(y)));
                }
                prev_y = Some(y);
            }
            let _ = prev_y;
            let _ = writeln!(
                out,
                r#"<path d="{d}" fill="none" stroke="{}" stroke-width="{}" stroke-linejoin="round"{}><title>{}</title></path>"#,
                l.color,
                if l.width > 0.0 { l.width } else { 2.0 },
                l.dash.attr(),
                esc(&l.label)
            );
        }
        for rule in &self.rules {
            let (a, b, c, d) = if rule.vertical {
                let x = r(sx(rule.at));
                (x, top, x, top + ph)
            } else {
                let y = r(sy(rule.at));
                (left, y, left + pw, y)
            };
            let _ = writeln!(
                out,
                r#"<line x1="{a}" y1="{b}" x2="{c}" y2="{d}" stroke="{}" stroke-width="1.5"{}><title>{}</title></line>"#,
                rule.color,
                rule.dash.attr(),
                esc(&rule.label)
            );
        }
        // Labels that would overprint one already drawn are left out (the point's tooltip
        // still names it).
        let mut label_boxes: Vec<(f64, f64, f64)> = Vec::new();
        for p in &self.points {
            for (x, y, label) in &p.points {
                if !(x.is_finite() && y.is_finite()) {
                    continue;
                }
                let (cx, cy) = (r(sx(*x)), r(sy(*y)));
                let (fill, opacity) = if p.hollow {
                    ("none", 0.9)
                } else {
                    (p.color.as_str(), 1.0)
                };
                let _ = writeln!(
                    out,
                    r#"<circle cx="{cx}" cy="{cy}" r="{}" fill="{fill}" stroke="{}" stroke-opacity="{opacity}" stroke-width="1.5"><title>{}</title></circle>"#,
                    if p.radius > 0.0 { p.radius } else { 4.0 },
                    p.color,
                    esc(if label.is_empty() { &p.label } else { label })
                );
                let width = label.chars().count() as f64 * 6.2;
                let clear = !label_boxes.iter().any(|(bx, by, bw)| {
                    (cx + 7.0) < bx + bw && *bx < cx + 7.0 + width && (cy - by).abs() < 12.0
                });
                if !label.is_empty() && !p.hollow && clear {
                    label_boxes.push((cx + 7.0, cy, width));
                    let _ = writeln!(
                        out,
                        r##"<text x="{}" y="{}" font-size="11" fill="#333">{}</text>"##,
                        r(cx + 7.0),
                        r(cy - 6.0),
                        esc(label)
                    );
                }
            }
        }
        out.push_str("</g>\n");

        // Frame and axis labels.
        let _ = writeln!(
            out,
            r##"<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>"##
        );
        let _ = writeln!(
            out,
            r##"<text x="{}" y="{}" text-anchor="middle" fill="#222">{}</text>"##,
            left + pw / 2.0,
            h - 8.0,
            esc(&self.x_label)
        );
        let _ = writeln!(
            out,
            r##"<text transform="translate(16,{}) rotate(-90)" text-anchor="middle" fill="#222">{}</text>"##,
            top + ph / 2.0,
            esc(&self.y_label)
        );

        // Legend, to the right of the plot.
        let lx = self.width + 4.0;
        for (i, (label, color, kind)) in legend.iter().enumerate() {
            let y = top + 8.0 + i as f64 * 18.0;
            match kind {
                LegendKind::Line(dash) => {
                    let _ = writeln!(
                        out,
                        r#"<line x1="{lx}" y1="{y}" x2="{}" y2="{y}" stroke="{color}" stroke-width="2.5"{}/>"#,
                        lx + 22.0,
                        dash.attr()
                    );
                }
                LegendKind::Dot(hollow) => {
                    let _ = writeln!(
                        out,
                        r#"<circle cx="{}" cy="{y}" r="4" fill="{}" stroke="{color}" stroke-width="1.5"/>"#,
                        lx + 11.0,
                        if *hollow { "none" } else { color.as_str() }
                    );
                }
                LegendKind::Shade => {
                    let _ = writeln!(
                        out,
                        r##"<rect x="{lx}" y="{}" width="22" height="10" fill="#999999" fill-opacity="0.3"/>"##,
                        y - 5.0
                    );
                }
            }
            let _ = writeln!(
                out,
                r##"<text x="{}" y="{}" font-size="11" fill="#222">{}</text>"##,
                lx + 28.0,
                y + 4.0,
                esc(label)
            );
        }
        out.push_str("</svg>\n");
        out
    }

    fn legend_entries(&self) -> Vec<(String, String, LegendKind)> {
        let mut out: Vec<(String, String, LegendKind)> = Vec::new();
        let mut push = |label: &str, color: &str, kind: LegendKind| {
            if !label.is_empty() && !out.iter().any(|e| e.0 == label) {
                out.push((label.to_owned(), color.to_owned(), kind));
            }
        };
        for l in &self.lines {
            push(&l.label, &l.color, LegendKind::Line(l.dash));
        }
        for rl in &self.rules {
            push(&rl.label, &rl.color, LegendKind::Line(rl.dash));
        }
        for p in &self.points {
            push(&p.label, &p.color, LegendKind::Dot(p.hollow));
        }
        if !self.shades.is_empty() {
            push("fault window", "#999999", LegendKind::Shade);
        }
        out
    }
}

#[derive(Clone, Copy, Debug)]
enum LegendKind {
    Line(Dash),
    Dot(bool),
    Shade,
}

/// Round tick values covering `[lo, hi]`: about `target` of them at 1, 2 or 5 × 10^k, and the
/// axis range they span.
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, f64, f64) {
    let (mut lo, mut hi) = (lo, hi);
    if !(lo.is_finite() && hi.is_finite()) {
        return (vec![0.0, 1.0], 0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        let pad = if lo.abs() > 1e-12 {
            lo.abs() * 0.1
        } else {
            1.0
        };
        lo -= pad;
        hi += pad;
        if lo < 0.0 && lo + pad >= 0.0 {
            lo = 0.0;
        }
    }
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let start = (lo / step).floor() * step;
    let end = (hi / step).ceil() * step;
    let n = ((end - start) / step).round() as usize;
    let ticks = (0..=n)
        .map(|i| start + step * i as f64)
        .map(|t| if t.abs() < step * 1e-9 { 0.0 } else { t })
        .collect();
    (ticks, start, end)
}

/// A tick's text with as many decimals as the tick step needs.
fn tick_label(t: f64, ticks: &[f64]) -> String {
    let step = if ticks.len() > 1 {
        (ticks[1] - ticks[0]).abs()
    } else {
        1.0
    };
    let decimals = (0..=6)
        .find(|&d| {
            let scaled = step * 10f64.powi(d);
            (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0)
        })
        .unwrap_or(6) as usize;
    format!("{t:.decimals$}")
}

/// A coordinate rounded to 0.1 px: shorter files, stable text.
fn r(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// Escapes text for XML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// A short stable hash, for unique ids in one HTML page.
fn fnv(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        let (t, a, b) = nice_ticks(0.0, 9.3, 8);
        assert_eq!((a, b), (0.0, 10.0));
        assert_eq!(t.len(), 6);
        let (t, a, b) = nice_ticks(0.0, 1.0, 6);
        assert_eq!((a, b, t.len()), (0.0, 1.0, 6));
        assert_eq!(tick_label(0.2, &t), "0.2");
        let (_, a, b) = nice_ticks(5.0, 5.0, 6);
        assert!(a < 5.0 && b > 5.0);
        let (t, _, _) = nice_ticks(0.0, 0.05, 5);
        assert_eq!(tick_label(t[1], &t), "0.01");
        let (t, _, _) = nice_ticks(0.0, 25.0, 10);
        assert_eq!(tick_label(t[1], &t), "2.5");
    }

    #[test]
    fn renders_every_element_and_escapes_text() {
        let mut c = Chart::new("a <title> & more", "x", "y");
        c.lines.push(Line {
            label: "s1".into(),
            color: color(0).into(),
            points: vec![(0.0, 0.0), (1.0, 0.5), (2.0, 1.0)],
            step: true,
            ..Line::default()
        });
        c.shades.push(Shade {
            label: "partition".into(),
            from: 0.5,
            to: 1.5,
        });
        c.rules.push(Rule {
            label: "theory".into(),
            color: "#000".into(),
            at: 1.2,
            vertical: true,
            dash: Dash::Dotted,
        });
        c.points.push(Points {
            label: "means".into(),
            color: color(1).into(),
            points: vec![(1.0, 0.2, "rumor".into())],
            radius: 5.0,
            hollow: false,
        });
        c.bands.push(Band {
            color: color(0).into(),
            points: vec![(0.0, 0.0, 0.1), (2.0, 0.9, 1.0)],
        });
        let svg = c.render();
        assert!(svg.starts_with("<svg xmlns="));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("a &lt;title&gt; &amp; more"));
        assert!(svg.contains(" H"), "step path");
        assert!(svg.contains("fault window"));
        assert!(svg.contains("stroke-dasharray=\"2 3\""));
        assert!(svg.contains(">rumor</text>"));
        assert_eq!(svg, c.render(), "deterministic");
    }

    #[test]
    fn an_empty_chart_says_so() {
        let svg = Chart::new("t", "x", "y").render();
        assert!(svg.contains(">no data<"));
    }
}
