//! Preprocessing of localization tables (`docs/methods.md §9`): drift
//! correction by redundant cross-correlation ([`drift`]), the NeNA
//! localization precision ([`nena`]) and linking of localizations across
//! consecutive frames ([`link`]), as Picasso users know them
//! (`postprocess.undrift`, `postprocess.nena`, `postprocess.link`).
//! Rendering with individual precision lives with the other renderers
//! ([`crate::locs::render`], [`crate::locs::Blur`]).
//!
//! Every function takes a [`Locs`] and returns a new table or a result
//! value; none modifies its input.

pub mod drift;
mod fit;
pub mod link;
pub mod nena;

pub use drift::{estimate_drift, plot_drifts, undrift, Drift, UndriftOptions};
pub use link::{link, link_groups, LinkOptions};
pub use nena::{nena, Nena, NenaOptions};

use crate::error::Result;
use crate::locs::Locs;

impl Locs {
    /// [`undrift`]: the table corrected for drift by RCC, and the drift.
    pub fn undrift(&self, opt: &UndriftOptions) -> Result<(Locs, Drift)> {
        undrift(self, opt)
    }

    /// [`nena`]: the NeNA localization precision.
    pub fn nena(&self, opt: &NenaOptions) -> Result<Nena> {
        nena(self, opt)
    }

    /// [`link`]: localizations of consecutive frames merged into events.
    pub fn link(&self, opt: &LinkOptions) -> Result<Locs> {
        link(self, opt)
    }
}
