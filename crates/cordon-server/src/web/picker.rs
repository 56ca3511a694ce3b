//! 地址选择: a place picked by walking down the map from the user's own area — community ›
//! compound › building › household — one tap a level, no code typed. Any page's form holds one.

use cordon_domain::AreaLevel;
use cordon_store::{StoreError, User};

use crate::AppState;
use crate::reads::{AreaRef, area_detail};

/// Where the walk down the map stands: the way there from the user's area, the area reached,
/// and the areas below it to go on to.
pub struct AreaPicker {
    pub trail: Vec<AreaRef>,
    pub here: AreaRef,
    pub below: Vec<AreaRef>,
}

impl AreaPicker {
    /// A household is picked: there is nothing further down.
    pub fn is_household(&self) -> bool {
        self.here.level == AreaLevel::Household
    }

    /// The household picked, said from the district down, as a form shows it beside the code.
    pub fn address(&self) -> String {
        let mut way: Vec<&str> =
            self.trail.iter().filter(|a| a.level > AreaLevel::City).map(|a| a.name.as_str()).collect();
        way.push(&self.here.name);
        way.join(" › ")
    }
}

/// The picker at `code` (the user's own area when empty); none when the code is no area the user
/// sees.
pub async fn area_picker(
    state: &AppState,
    user: &User,
    code: &str,
) -> Result<Option<AreaPicker>, StoreError> {
    let code = code.trim();
    let code = if code.is_empty() { user.scope.as_str() } else { code };
    let Some(d) = area_detail(state, user, code).await? else { return Ok(None) };
    // The way back up stops at the user's own area: above it they see nothing to pick.
    let mut trail = d.lineage;
    if let Some(i) = trail.iter().position(|a| a.code == user.scope) {
        trail.drain(..i);
    } else if d.area.code == user.scope {
        trail.clear();
    }
    let here = AreaRef { code: d.area.code, name: d.area.name, level: d.area.level };
    let below =
        d.children.into_iter().map(|c| AreaRef { code: c.code, name: c.name, level: c.level }).collect();
    Ok(Some(AreaPicker { trail, here, below }))
}
