//! The dashboard's charts, drawn on the server as SVG by plotters: no script, nothing fetched,
//! the same picture on a phone, a wall screen and paper. Titles and legends are the page's (in
//! its language); a chart carries only axes and marks.

use std::error::Error;
use std::ops::Range;

use cordon_domain::briefing::RoundProgress;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use crate::dashboard::DayPoint;

const SEALED: RGBColor = RGBColor(0xc6, 0x28, 0x28);
const CONTROLLED: RGBColor = RGBColor(0xef, 0x6c, 0x00);
const PRECAUTION: RGBColor = RGBColor(0x15, 0x65, 0xc0);
const CONFIRMED: RGBColor = RGBColor(0x8e, 0x1b, 0x1b);
const ASYMPTOMATIC: RGBColor = RGBColor(0xf0, 0x9a, 0x3e);
const RESOLVED: RGBColor = RGBColor(0x2e, 0x7d, 0x32);
const MUTED: RGBColor = RGBColor(0x5d, 0x68, 0x75);

const SIZE: (u32, u32) = (560, 240);

fn label_day(points: &[DayPoint], x: f64) -> String {
    at_unit(x).and_then(|i| points.get(i)).map(|p| p.day.format("%m-%d").to_string()).unwrap_or_default()
}

fn top(max: i64) -> f64 {
    // Head room above the highest mark, and an axis that reads 0–1 when there is nothing.
    (max as f64 * 1.125).max(1.0)
}

fn count_label(v: f64) -> String {
    if v.fract().abs() < 1e-9 { format!("{v:.0}") } else { String::new() }
}

/// Draws into an SVG string; a drawing error is a bug in the chart, not in the data, and
/// yields an empty chart rather than a failed page.
fn svg(draw: impl FnOnce(&mut String) -> Result<(), Box<dyn Error>>) -> String {
    let mut out = String::new();
    let drawn = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| draw(&mut out)));
    match drawn {
        Ok(Ok(())) => out,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "a chart could not be drawn");
            String::new()
        }
        Err(_) => {
            tracing::warn!("drawing a chart panicked");
            String::new()
        }
    }
}

/// The x axis of `n` days or rounds: one unit each, from 0 to `n` (bars fill a unit, lines
/// join the units' left edges).
fn x_range(n: usize) -> Range<f64> {
    0.0..(n.max(1) as f64)
}

/// The label of the unit at `x` when `x` is a whole unit.
fn at_unit(x: f64) -> Option<usize> {
    (x >= 0.0 && (x - x.round()).abs() < 1e-6).then(|| x.round() as usize)
}

type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A chart on `root` over `x` and 0 to `y_top`, its mesh drawn in the dashboard's style:
/// `x_labels` labels on x named by `x_label`, five on y named by `y_label`, `y_area` pixels for them.
fn chart<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    x: Range<f64>,
    y_top: f64,
    y_area: u32,
    x_labels: usize,
    x_label: &dyn Fn(&f64) -> String,
    y_label: &dyn Fn(&f64) -> String,
) -> Result<Chart<'a, 'b>, Box<dyn Error>> {
    let mut chart = ChartBuilder::on(root)
        .margin(6)
        .x_label_area_size(26)
        .y_label_area_size(y_area)
        .build_cartesian_2d(x, 0.0..y_top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(x_labels)
        .x_label_formatter(x_label)
        .y_labels(5)
        .y_label_formatter(y_label)
        .max_light_lines(0)
        .label_style(("sans-serif", 15).into_font().color(&MUTED))
        .draw()?;
    Ok(chart)
}

/// A line over the days: its colour and the count it draws.
type Series = (RGBColor, fn(&DayPoint) -> i64);

/// One line per series over the days.
fn day_lines(points: &[DayPoint], series: &[Series], y_area: u32) -> String {
    svg(|out| {
        let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
        let max = points.iter().flat_map(|p| series.iter().map(move |(_, f)| f(p))).max().unwrap_or(0);
        let x = x_range(points.len().saturating_sub(1));
        let mut chart =
            chart(&root, x, top(max), y_area, 6, &|x| label_day(points, *x), &|v| count_label(*v))?;
        for (color, count) in series {
            chart.draw_series(LineSeries::new(
                points.iter().enumerate().map(|(i, p)| (i as f64, count(p) as f64)),
                color.stroke_width(2),
            ))?;
        }
        root.present()?;
        Ok(())
    })
}

/// New positives per day, confirmed stacked on asymptomatic.
pub fn positives(points: &[DayPoint]) -> String {
    svg(|out| {
        let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
        let max = points.iter().map(|p| p.positives.new_positives()).max().unwrap_or(0);
        let x = x_range(points.len());
        let mut chart = chart(&root, x, top(max), 54, 6, &|x| label_day(points, *x), &|v| count_label(*v))?;
        chart.draw_series(points.iter().enumerate().map(|(i, p)| {
            let x = i as f64;
            Rectangle::new([(x, 0.0), (x + 1.0, p.positives.asymptomatic as f64)], ASYMPTOMATIC.filled())
        }))?;
        chart.draw_series(points.iter().enumerate().map(|(i, p)| {
            let x = i as f64;
            let a = p.positives.asymptomatic as f64;
            Rectangle::new([(x, a), (x + 1.0, a + p.positives.confirmed as f64)], CONFIRMED.filled())
        }))?;
        root.present()?;
        Ok(())
    })
}

/// People sealed and controlled at the end of each day (the precaution zones, far larger, are
/// left to the figures: on one axis they would flatten the two that matter).
pub fn under_control(points: &[DayPoint]) -> String {
    day_lines(points, &[(CONTROLLED, |p| p.residents_by_tier[1]), (SEALED, |p| p.residents_by_tier[0])], 62)
}

/// Requests raised and resolved per day.
pub fn needs(points: &[DayPoint]) -> String {
    day_lines(points, &[(CONTROLLED, |p| p.needs_opened), (RESOLVED, |p| p.needs_resolved)], 54)
}

/// Gate decisions per day: let through and turned back.
pub fn gates(points: &[DayPoint]) -> String {
    day_lines(points, &[(PRECAUTION, |p| p.gate_let_through), (SEALED, |p| p.gate_refused)], 62)
}

/// Sampled as a share of expected, per testing round, oldest first.
pub fn rounds(rounds: &[RoundProgress]) -> String {
    svg(|out| {
        let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
        let name = |x: &f64| at_unit(*x).and_then(|i| rounds.get(i)).map(|r| format!("#{}", r.round_id));
        let mut chart = chart(
            &root,
            x_range(rounds.len()),
            100.0,
            40,
            rounds.len().max(1) + 1,
            &|x| name(x).unwrap_or_default(),
            &|v| format!("{v:.0}%"),
        )?;
        chart.draw_series(rounds.iter().enumerate().map(|(i, r)| {
            let x = i as f64;
            Rectangle::new([(x + 0.1, 0.0), (x + 0.9, r.percent().min(100.0))], PRECAUTION.mix(0.85).filled())
        }))?;
        root.present()?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use cordon_domain::briefing::PositiveDay;

    fn point(day: u32, confirmed: i64, asymptomatic: i64) -> DayPoint {
        DayPoint {
            day: NaiveDate::from_ymd_opt(2022, 10, day).unwrap(),
            positives: PositiveDay { asymptomatic, confirmed, reclassified: 0 },
            residents_by_tier: [100 * day as i64, 50, 10],
            zones_by_tier: [1, 1, 1],
            needs_opened: 3,
            emergencies: 0,
            care_planned: 5,
            needs_resolved: 2,
            gate_let_through: 40,
            gate_refused: 2,
        }
    }

    #[test]
    fn a_chart_is_an_svg_with_a_mark_per_day_and_dated_axis() {
        let points: Vec<DayPoint> = (1..=5).map(|d| point(d, d as i64, 2)).collect();
        let svg = positives(&points);
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("10-01") && svg.contains("10-04"), "days on the axis");
        // Two stacked bars a day.
        assert_eq!(svg.matches("<rect").count(), 10, "{svg}");
        assert!(svg.contains("#8E1B1B"), "confirmed in its colour");
    }

    #[test]
    fn a_single_round_and_a_flat_history_draw() {
        let one = [RoundProgress {
            round_id: 1,
            name: "R1".into(),
            name_en: String::new(),
            expected: 10,
            sampled: 4,
            positive_tubes: 0,
            pending_tubes: 0,
        }];
        assert!(rounds(&one).contains("#1"));
        let flat: Vec<DayPoint> = (1..=2).map(|d| point(d, 0, 0)).collect();
        for svg in [positives(&flat), under_control(&flat), needs(&flat), gates(&flat), positives(&flat[..1])]
        {
            assert!(svg.starts_with("<svg"), "{svg}");
        }
    }

    #[test]
    fn an_empty_history_still_draws() {
        for svg in [positives(&[]), under_control(&[]), needs(&[]), rounds(&[]), gates(&[])] {
            assert!(svg.starts_with("<svg"), "{svg}");
        }
    }
}
