//! Area shapes (GeoJSON Polygon / MultiPolygon) drawn as SVG paths, on the server: the map is
//! plain markup, with no script and nothing loaded from elsewhere.

use serde_json::Value;

/// One area on the map: its outline as an SVG path and where its label goes.
pub struct MapShape {
    pub d: String,
    pub label_x: f64,
    pub label_y: f64,
}

pub const WIDTH: f64 = 800.0;
pub const HEIGHT: f64 = 560.0;
const MARGIN: f64 = 12.0;

type Ring = Vec<(f64, f64)>;

fn rings(geometry: &Value) -> Vec<Ring> {
    let ring = |r: &Value| -> Ring {
        r.as_array()
            .map(|pts| {
                pts.iter()
                    .filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
                    .filter(|(x, y)| x.is_finite() && y.is_finite())
                    .collect()
            })
            .unwrap_or_default()
    };
    let polygon =
        |p: &Value| -> Vec<Ring> { p.as_array().map(|rs| rs.iter().map(ring).collect()).unwrap_or_default() };
    match geometry.get("type").and_then(Value::as_str) {
        Some("Polygon") => geometry.get("coordinates").map(polygon).unwrap_or_default(),
        Some("MultiPolygon") => geometry
            .get("coordinates")
            .and_then(Value::as_array)
            .map(|ps| ps.iter().flat_map(polygon).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// Projects the shapes together into the map's box: longitude scaled by the cosine of the
/// middle latitude (so the city is not stretched), north up. Shapes that do not parse come back
/// as `None`.
pub fn project(geometries: &[Option<&str>]) -> Vec<Option<MapShape>> {
    let parsed: Vec<Vec<Ring>> = geometries
        .iter()
        .map(|g| g.and_then(|s| serde_json::from_str::<Value>(s).ok()).map(|v| rings(&v)).unwrap_or_default())
        .collect();
    let all = parsed.iter().flatten().flatten();
    let (mut min_x, mut min_y, mut max_x, mut max_y) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for &(x, y) in all {
        min_x = min_x.min(x);
        max_x = max_x.max(x);
        min_y = min_y.min(y);
        max_y = max_y.max(y);
    }
    if min_x > max_x {
        return parsed.iter().map(|_| None).collect();
    }
    let k = ((min_y + max_y) / 2.0).to_radians().cos().max(0.1);
    let span_x = ((max_x - min_x) * k).max(1e-9);
    let span_y = (max_y - min_y).max(1e-9);
    let scale = ((WIDTH - 2.0 * MARGIN) / span_x).min((HEIGHT - 2.0 * MARGIN) / span_y);
    let off_x = (WIDTH - span_x * scale) / 2.0;
    let off_y = (HEIGHT - span_y * scale) / 2.0;
    let px = |x: f64| off_x + (x - min_x) * k * scale;
    let py = |y: f64| off_y + (max_y - y) * scale;
    parsed
        .into_iter()
        .map(|rs| {
            if rs.iter().all(|r| r.len() < 3) {
                return None;
            }
            let mut d = String::new();
            let (mut sx, mut sy, mut area_sum) = (0.0, 0.0, 0.0);
            for r in rs.iter().filter(|r| r.len() >= 3) {
                for (i, &(x, y)) in r.iter().enumerate() {
                    d.push_str(&format!("{}{:.1},{:.1}", if i == 0 { 'M' } else { 'L' }, px(x), py(y)));
                }
                d.push('Z');
                // The label goes at the centroid of the outer rings, weighted by area.
                let (cx, cy, a) = centroid(r);
                if a > 0.0 {
                    sx += cx * a;
                    sy += cy * a;
                    area_sum += a;
                }
            }
            let (lx, ly) = if area_sum > 0.0 {
                (px(sx / area_sum), py(sy / area_sum))
            } else {
                let (x, y) = rs[0][0];
                (px(x), py(y))
            };
            Some(MapShape { d, label_x: lx, label_y: ly })
        })
        .collect()
}

/// The centroid and absolute area of a ring (shoelace).
fn centroid(r: &Ring) -> (f64, f64, f64) {
    let (mut a, mut cx, mut cy) = (0.0, 0.0, 0.0);
    for i in 0..r.len() {
        let (x0, y0) = r[i];
        let (x1, y1) = r[(i + 1) % r.len()];
        let cross = x0 * y1 - x1 * y0;
        a += cross;
        cx += (x0 + x1) * cross;
        cy += (y0 + y1) * cross;
    }
    if a.abs() < 1e-15 {
        return (r[0].0, r[0].1, 0.0);
    }
    (cx / (3.0 * a), cy / (3.0 * a), (a / 2.0).abs())
}

/// The transmission chain as SVG: one node a case, a line from each case to those it infected,
/// generations top to bottom. Confirmed cases are red circles marked 确, asymptomatic ones
/// orange diamonds marked 无 (shape and mark, never colour alone); a case outside the reader's
/// areas is drawn hollow and is not a link; `highlight` is ringed.
pub fn chain_svg(
    l: &cordon_domain::chain::ChainLayout,
    describe: impl Fn(i64) -> (String, cordon_domain::CaseClass, bool),
    highlight: Option<i64>,
) -> String {
    use std::fmt::Write as _;
    const DX: f64 = 64.0;
    const DY: f64 = 78.0;
    const PAD: f64 = 40.0;
    let width = (l.columns.max(1.0) - 1.0) * DX + 2.0 * PAD + 40.0;
    let height = f64::from(l.depths.max(1) - 1) * DY + 2.0 * PAD + 16.0;
    let at: std::collections::HashMap<i64, (f64, f64)> =
        l.cases.iter().map(|p| (p.id, (PAD + 20.0 + p.column * DX, PAD + f64::from(p.depth) * DY))).collect();
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="chain" viewBox="0 0 {width:.0} {height:.0}" width="{width:.0}" height="{height:.0}" role="img" aria-label="传播链 / transmission chain">"##
    );
    for (from, to) in &l.links {
        let (a, b) = (at[from], at[to]);
        let _ = write!(
            s,
            r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#555" stroke-width="1.5" marker-end="url(#arrow)"/>"##,
            a.0,
            a.1 + 16.0,
            b.0,
            b.1 - 18.0
        );
    }
    s.push_str(
        r##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>"##,
    );
    for p in &l.cases {
        let (x, y) = at[&p.id];
        let (label, class, mine) = describe(p.id);
        let label = escape(&label);
        let (colour, mark) = match class {
            cordon_domain::CaseClass::Confirmed => ("#c62828", "确"),
            cordon_domain::CaseClass::Asymptomatic => ("#ef6c00", "无"),
        };
        let fill = if mine { colour } else { "#fff" };
        let text = if mine { "#fff" } else { colour };
        let shape = match class {
            cordon_domain::CaseClass::Confirmed => format!(
                r##"<circle cx="{x:.1}" cy="{y:.1}" r="15" fill="{fill}" stroke="{colour}" stroke-width="2"/>"##
            ),
            cordon_domain::CaseClass::Asymptomatic => format!(
                r##"<path d="M{x:.1},{:.1} L{:.1},{y:.1} L{x:.1},{:.1} L{:.1},{y:.1} z" fill="{fill}" stroke="{colour}" stroke-width="2"/>"##,
                y - 17.0,
                x + 17.0,
                y + 17.0,
                x - 17.0
            ),
        };
        let ring = if highlight == Some(p.id) {
            format!(
                r##"<circle cx="{x:.1}" cy="{y:.1}" r="22" fill="none" stroke="#1565c0" stroke-width="3"/>"##
            )
        } else {
            String::new()
        };
        let body = format!(
            r##"{ring}{shape}<text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="13" fill="{text}">{mark}</text><text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="11" fill="#222">{}</text>"##,
            y + 4.5,
            y + 32.0,
            p.id
        );
        if mine {
            let _ = write!(s, r##"<a href="/cases/{}"><title>{label}</title>{body}</a>"##, p.id);
        } else {
            let _ = write!(s, r##"<g><title>{label}</title>{body}</g>"##);
        }
    }
    s.push_str("</svg>");
    s
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_squares_side_by_side_fill_the_box_in_order() {
        let a = r#"{"type":"Polygon","coordinates":[[[111,40],[112,40],[112,41],[111,41],[111,40]]]}"#;
        let b = r#"{"type":"MultiPolygon","coordinates":[[[[112,40],[113,40],[113,41],[112,41],[112,40]]]]}"#;
        let out = project(&[Some(a), Some(b), Some("not json"), None]);
        let (sa, sb) = (out[0].as_ref().unwrap(), out[1].as_ref().unwrap());
        assert!(sa.d.starts_with('M') && sa.d.ends_with('Z'));
        assert!(sa.label_x < sb.label_x, "west is left");
        assert!((sa.label_y - HEIGHT / 2.0).abs() < 1.0, "centred vertically: {}", sa.label_y);
        assert!(out[2].is_none() && out[3].is_none());
    }
}
