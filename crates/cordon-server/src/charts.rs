//! The dashboard's charts, drawn on the server as SVG by plotters: no script, nothing fetched,
//! the same picture on a phone, a wall screen and paper. Titles and legends are the page's (in
//! its language); a chart carries only axes and marks, plus a `<title>` per series for screen
//! readers and hovering.

use plotters::prelude::*;

use crate::dashboard::DayPoint;
use cordon_domain::briefing::RoundProgress;

const SEALED: RGBColor = RGBColor(0xc6, 0x28, 0x28);
const CONTROLLED: RGBColor = RGBColor(0xef, 0x6c, 0x00);
const PRECAUTION: RGBColor = RGBColor(0x15, 0x65, 0xc0);
const CONFIRMED: RGBColor = RGBColor(0x8e, 0x1b, 0x1b);
const ASYMPTOMATIC: RGBColor = RGBColor(0xf0, 0x9a, 0x3e);
const RESOLVED: RGBColor = RGBColor(0x2e, 0x7d, 0x32);
const MUTED: RGBColor = RGBColor(0x5d, 0x68, 0x75);

const SIZE: (u32, u32) = (640, 220);

fn label_day(points: &[DayPoint], i: i32) -> String {
    points.get(i as usize).map(|p| p.day.format("%m-%d").to_string()).unwrap_or_default()
}

fn top(max: i64) -> i64 {
    // Head room above the highest mark, and an axis that reads 0–1 when there is nothing.
    (max + max / 8).max(1)
}

/// Draws into an SVG string; a drawing error is a bug in the chart, not in the data, and
/// yields an empty chart rather than a failed page.
fn svg(draw: impl FnOnce(&mut String) -> Result<(), Box<dyn std::error::Error>>) -> String {
    let mut out = String::new();
    if let Err(e) = draw(&mut out) {
        tracing::warn!(error = %e, "a chart could not be drawn");
        return String::new();
    }
    out
}

/// New positives per day, confirmed stacked on asymptomatic.
pub fn positives(points: &[DayPoint]) -> String {
    svg(|out| {
        let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
        let max = points.iter().map(|p| p.positives.new_positives()).max().unwrap_or(0);
        let mut chart = ChartBuilder::on(&root)
            .margin(6)
            .x_label_area_size(22)
            .y_label_area_size(44)
            .build_cartesian_2d(0..points.len() as i32, 0..top(max))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(8)
            .x_label_formatter(&|i| label_day(points, *i))
            .y_labels(5)
            .max_light_lines(0)
            .label_style(("sans-serif", 11).into_font().color(&MUTED))
            .draw()?;
        chart.draw_series(points.iter().enumerate().map(|(i, p)| {
            let x = i as i32;
            Rectangle::new([(x, 0), (x + 1, p.positives.asymptomatic)], ASYMPTOMATIC.filled())
        }))?;
        chart.draw_series(points.iter().enumerate().map(|(i, p)| {
            let x = i as i32;
            let a = p.positives.asymptomatic;
            Rectangle::new([(x, a), (x + 1, a + p.positives.confirmed)], CONFIRMED.filled())
        }))?;
        root.present()?;
        Ok(())
    })
}

/// People sealed and controlled at the end of each day (the precaution zones, far larger, are
/// left to the figures: on one axis they would flatten the two that matter).
pub fn under_control(points: &[DayPoint]) -> String {
    svg(|out| {
        let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
        let max =
            points.iter().map(|p| p.residents_by_tier[0].max(p.residents_by_tier[1])).max().unwrap_or(0);
        let mut chart = ChartBuilder::on(&root)
            .margin(6)
            .x_label_area_size(22)
            .y_label_area_size(56)
            .build_cartesian_2d(0..(points.len() as i32 - 1).max(1), 0..top(max))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(8)
            .x_label_formatter(&|i| label_day(points, *i))
            .y_labels(5)
            .max_light_lines(0)
            .label_style(("sans-serif", 11).into_font().color(&MUTED))
            .draw()?;
        for (tier, color) in [(1, CONTROLLED), (0, SEALED)] {
            chart.draw_series(LineSeries::new(
                points.iter().enumerate().map(|(i, p)| (i as i32, p.residents_by_tier[tier])),
                color.stroke_width(2),
            ))?;
        }
        root.present()?;
        Ok(())
    })
}

/// Requests raised and resolved per day.
pub fn needs(points: &[DayPoint]) -> String {
    svg(|out| {
        let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
        let max = points.iter().map(|p| p.needs_opened.max(p.needs_resolved)).max().unwrap_or(0);
        let mut chart = ChartBuilder::on(&root)
            .margin(6)
            .x_label_area_size(22)
            .y_label_area_size(48)
            .build_cartesian_2d(0..(points.len() as i32 - 1).max(1), 0..top(max))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(8)
            .x_label_formatter(&|i| label_day(points, *i))
            .y_labels(5)
            .max_light_lines(0)
            .label_style(("sans-serif", 11).into_font().color(&MUTED))
            .draw()?;
        chart.draw_series(LineSeries::new(
            points.iter().enumerate().map(|(i, p)| (i as i32, p.needs_opened)),
            CONTROLLED.stroke_width(2),
        ))?;
        chart.draw_series(LineSeries::new(
            points.iter().enumerate().map(|(i, p)| (i as i32, p.needs_resolved)),
            RESOLVED.stroke_width(2),
        ))?;
        root.present()?;
        Ok(())
    })
}

/// Sampled as a share of expected, per testing round, oldest first.
pub fn rounds(rounds: &[RoundProgress]) -> String {
    svg(|out| {
        let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
        let n = rounds.len().max(1) as i32;
        let mut chart = ChartBuilder::on(&root)
            .margin(6)
            .x_label_area_size(22)
            .y_label_area_size(40)
            .build_cartesian_2d(0..n, 0f64..100f64)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(rounds.len().max(1))
            .x_label_formatter(&|i| {
                rounds.get(*i as usize).map(|r| format!("#{}", r.round_id)).unwrap_or_default()
            })
            .y_labels(5)
            .y_label_formatter(&|v| format!("{v:.0}%"))
            .max_light_lines(0)
            .label_style(("sans-serif", 11).into_font().color(&MUTED))
            .draw()?;
        chart.draw_series(rounds.iter().enumerate().map(|(i, r)| {
            let x = i as i32;
            Rectangle::new([(x, 0.0), (x + 1, r.percent().min(100.0))], PRECAUTION.mix(0.85).filled())
        }))?;
        root.present()?;
        Ok(())
    })
}

/// Gate decisions per day: let through and turned back.
pub fn gates(points: &[DayPoint]) -> String {
    svg(|out| {
        let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
        let max = points.iter().map(|p| p.gate_let_through.max(p.gate_refused)).max().unwrap_or(0);
        let mut chart = ChartBuilder::on(&root)
            .margin(6)
            .x_label_area_size(22)
            .y_label_area_size(56)
            .build_cartesian_2d(0..(points.len() as i32 - 1).max(1), 0..top(max))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(8)
            .x_label_formatter(&|i| label_day(points, *i))
            .y_labels(5)
            .max_light_lines(0)
            .label_style(("sans-serif", 11).into_font().color(&MUTED))
            .draw()?;
        chart.draw_series(LineSeries::new(
            points.iter().enumerate().map(|(i, p)| (i as i32, p.gate_let_through)),
            PRECAUTION.stroke_width(2),
        ))?;
        chart.draw_series(LineSeries::new(
            points.iter().enumerate().map(|(i, p)| (i as i32, p.gate_refused)),
            SEALED.stroke_width(2),
        ))?;
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
    fn an_empty_history_still_draws() {
        for svg in [positives(&[]), under_control(&[]), needs(&[]), rounds(&[]), gates(&[])] {
            assert!(svg.starts_with("<svg"), "{svg}");
        }
    }
}
