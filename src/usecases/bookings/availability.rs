//! Free time of a platform (with its free stations) or of an equipment item.

use chrono_tz::Tz;

use super::{load_context, Target};
use crate::db::{self, platforms::PlatformRow, DbConnection};
use crate::domain::time::Span;
use crate::error::{ApiError, ApiResult, ErrorCode};

/// Free time of a platform or equipment item.
pub fn availability(
    conn: &mut DbConnection,
    tz: Tz,
    now: i64,
    platform_id: Option<&str>,
    equipment_id: Option<&str>,
    window: Span,
) -> ApiResult<(PlatformRow, Vec<(Span, i32)>)> {
    let equipment = match equipment_id {
        Some(id) => Some(db::equipment::find(conn, id)?.ok_or_else(ApiError::not_found)?),
        None => None,
    };
    let platform_id = match (&equipment, platform_id) {
        (Some(e), _) => e.platform_id.clone(),
        (None, Some(p)) => p.to_owned(),
        (None, None) => {
            return Err(ApiError::new(
                ErrorCode::InvalidQuery,
                "Indiquez platform_id ou equipment_id.",
            ))
        }
    };
    let (platform, opening_hours) =
        db::platforms::find_with_hours(conn, &platform_id)?.ok_or_else(ApiError::not_found)?;
    let target = Target {
        platform,
        opening_hours,
        equipment,
    };
    // Nobody's qualifications matter here.
    let ctx = load_context(conn, tz, now, &target, None, window)?;
    let free = crate::domain::booking::availability(&ctx, window);
    Ok((target.platform, free))
}
