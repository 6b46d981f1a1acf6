//! The occupancy chart: occupancy by month, one line per platform, as a standalone SVG.

use plotters::prelude::*;

use super::UsageReport;
use crate::domain::reports::Dimension;
use crate::error::{ApiError, ApiResult};

/// Lines a chart draws at most; the platforms with the most occupied hours are kept.
pub const MAX_SERIES: usize = 10;

/// A colour-blind-friendly palette (Okabe–Ito, then Tol's muted).
const PALETTE: [RGBColor; MAX_SERIES] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
    RGBColor(136, 34, 85),
    RGBColor(68, 170, 153),
];

/// Draws a report grouped by platform then month. Every month of the period is on the
/// horizontal axis; a platform with no open time in a month has no point there.
pub fn occupancy_by_month(
    report: &UsageReport,
    months: &[String],
    title: &str,
) -> ApiResult<String> {
    debug_assert_eq!(report.dimensions, [Dimension::Platform, Dimension::Month]);
    // Platforms in order of occupied hours, most first.
    let mut platforms: Vec<(String, i64)> = Vec::new();
    for (key, totals) in &report.groups {
        match platforms.iter_mut().find(|(id, _)| *id == key[0]) {
            Some((_, used)) => *used += totals.unit_seconds_used,
            None => platforms.push((key[0].clone(), totals.unit_seconds_used)),
        }
    }
    platforms.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    platforms.truncate(MAX_SERIES);

    let mut svg = String::new();
    {
        let height = 420 + 22 * platforms.len() as u32;
        let root = SVGBackend::with_string(&mut svg, (960, height)).into_drawing_area();
        let draw_error = |e: &dyn std::fmt::Display| ApiError::internal(format!("chart: {e}"));
        root.fill(&WHITE).map_err(|e| draw_error(&e))?;
        let (plot, legend) = root.split_vertically(400);
        let highest = report
            .groups
            .iter()
            .filter_map(|(_, t)| t.occupancy())
            .fold(0.0f64, f64::max);
        let top = (highest * 100.0 / 10.0).ceil().max(1.0) * 10.0;
        let mut chart = ChartBuilder::on(&plot)
            .caption(title, ("sans-serif", 20))
            .margin(16)
            .margin_right(48)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(
                0..months.len().saturating_sub(1).max(1),
                0.0..top.min(100.0),
            )
            .map_err(|e| draw_error(&e))?;
        chart
            .configure_mesh()
            .x_labels(months.len().max(1))
            .x_label_formatter(&|i| months.get(*i).cloned().unwrap_or_default())
            .light_line_style(RGBColor(236, 236, 236))
            .y_desc("taux d'occupation (%)")
            .y_label_formatter(&|v| format!("{v:.0} %"))
            .draw()
            .map_err(|e| draw_error(&e))?;
        for (index, (platform, _)) in platforms.iter().enumerate() {
            let colour = PALETTE[index % PALETTE.len()];
            let points: Vec<(usize, f64)> = months
                .iter()
                .enumerate()
                .filter_map(|(i, month)| {
                    report
                        .groups
                        .iter()
                        .find(|(key, _)| key[0] == *platform && key[1] == *month)
                        .and_then(|(_, t)| t.occupancy())
                        .map(|o| (i, o * 100.0))
                })
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))
                .map_err(|e| draw_error(&e))?;
            // Dots show the months even when a line has a single point.
            chart
                .draw_series(
                    points
                        .into_iter()
                        .map(|p| Circle::new(p, 3, colour.filled())),
                )
                .map_err(|e| draw_error(&e))?;
            let name = report.names.describe(Dimension::Platform, platform).1;
            let y = 10 + 22 * index as i32;
            legend
                .draw(&Rectangle::new([(70, y), (90, y + 12)], colour.filled()))
                .map_err(|e| draw_error(&e))?;
            legend
                .draw(&Text::new(name, (100, y), ("sans-serif", 14)))
                .map_err(|e| draw_error(&e))?;
        }
        root.present().map_err(|e| draw_error(&e))?;
    }
    Ok(svg)
}
